"""Page-numbered lists, with the page count so that a client knows when to stop."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        # DRF ignores a page size it cannot read; a client that asked for something should hear it was wrong.
        errors = {}
        for name, largest in ((self.page_query_param, None), (self.page_size_query_param, self.max_page_size)):
            values = request.query_params.getlist(name)
            if not values:
                continue
            if len(values) > 1 or not values[0].isascii() or not values[0].isdigit() or int(values[0]) < 1 \
                    or (largest and int(values[0]) > largest):
                errors[name] = [f"Enter a whole number from 1{f' to {largest}' if largest else ' up'}"]
        if errors:
            raise ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None, "paginate_queryset ran first"
        return Response({
            "count": self.page.paginator.count,
            "pages": self.page.paginator.num_pages,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        base = super().get_paginated_response_schema(schema)
        base["properties"]["pages"] = {"type": "integer", "example": 1}
        base["required"] = ["count", "pages", "next", "previous", "results"]
        return base

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
