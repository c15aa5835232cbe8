// Starts the NHS.UK design system components shipped from the nhsuk-frontend npm package.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

initAll();
