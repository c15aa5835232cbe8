"""Ship the default apology templates (email, text message, letter).

Modelled on University Hospitals of Leicester's apology to patients after the junior doctors' strike
of 11 to 15 April 2023: say sorry, say what the action was and when, give the trust's own figures,
tell the patient what happens to their appointment and where to get help meanwhile.
"""

from django.db import migrations

NAME = "Apology for rescheduled care"

EMAIL_SUBJECT = "((trust_name)): we are sorry your appointment was rescheduled"
EMAIL_BODY = """Dear ((name))

We are sorry that your appointment on ((appointment_date)) (reference ((appointment_reference))) had to be \
rescheduled because of ((action_name)) on ((action_dates)).

During the industrial action our staff worked hard to keep emergency, urgent and cancer care going. To do \
that safely, ((trust_name)) rescheduled ((appointments_rescheduled)) outpatient, community and mental health \
appointments and ((procedures_rescheduled)) planned procedures. We know how disappointing and worrying this is \
for you and your family.

What happens next
We will contact you with a new date as soon as we can. You do not need to call us to rebook.

If your condition gets worse while you wait, contact your GP or NHS 111. In an emergency, call 999 or go \
to A&E.

Thank you for your patience and understanding.

((trust_name))
"""

SMS_BODY = """((trust_name)): Dear ((name)), we are sorry your appointment on ((appointment_date)) \
(ref ((appointment_reference))) was rescheduled because of ((action_name)). We will contact you with a new \
date; you do not need to call. If you feel worse, contact your GP or NHS 111; in an emergency call 999."""

LETTER_SUBJECT = "Your rescheduled appointment, reference ((appointment_reference))"
LETTER_BODY = """Dear ((name))

We are writing to apologise. Your appointment on ((appointment_date)) had to be rescheduled because of \
((action_name)) on ((action_dates)).

Our staff kept emergency, urgent and cancer care running during the industrial action. To do that safely, \
((trust_name)) rescheduled ((appointments_rescheduled)) outpatient, community and mental health appointments \
and ((procedures_rescheduled)) planned procedures. We are very sorry for the disruption this has caused you.

We will write to you or call you with a new date as soon as we can. You do not need to contact us to rebook.

If your symptoms get worse while you wait, please contact your GP or NHS 111. In an emergency, call 999 or go \
to your nearest A&E.

Yours sincerely

((trust_name))
"""

DEFAULTS = [
    ("email", EMAIL_SUBJECT, EMAIL_BODY),
    ("sms", "", SMS_BODY),
    ("letter", LETTER_SUBJECT, LETTER_BODY),
]


def add_defaults(apps, schema_editor):
    MessageTemplate = apps.get_model("notices", "MessageTemplate")
    labels = {"email": "email", "sms": "text message", "letter": "letter"}
    for channel, subject, body in DEFAULTS:
        MessageTemplate.objects.update_or_create(
            trust=None, name=f"{NAME} ({labels[channel]})", archived=False,
            defaults={"channel": channel, "subject": subject, "body": body},
        )


def remove_defaults(apps, schema_editor):
    apps.get_model("notices", "MessageTemplate").objects.filter(trust=None, name__startswith=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_message_templates")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
