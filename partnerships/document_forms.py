"""Page forms for papers: the list's search and filters, and the upload."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from partnerships.files import ALLOWED
from partnerships.models import Document, Partnership

SENSITIVITY_HELP = (
    "Alliance: every member agency. Partnership: the partnership's active members. "
    "Commercially sensitive: those members, less any withdrawn while they compete, and only "
    "people who have accepted the partnership's confidentiality undertaking."
)
FILE_HELP = "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, text or CSV, up to {limit} MB."


class DocumentFilterForm(forms.Form):
    """GET parameters of the papers list; the search looks only at papers the person may see."""

    q = forms.CharField(required=False, max_length=200, label="Search titles and file names")
    partnership = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    sensitivity = forms.ChoiceField(
        required=False,
        choices=[("", "Any sensitivity"), *Document.Sensitivity.choices],
    )

    def __init__(self, *args: Any, partnerships: list[tuple[int, str]], **kwargs: Any):
        """`partnerships`: (id, name) of those the list may be filtered by: the person's
        agencies' partnerships, and any other of the alliance the request asks for."""
        super().__init__(*args, **kwargs)
        choices = [("", "Any partnership"), *partnerships]
        cast(forms.TypedChoiceField, self.fields["partnership"]).choices = choices

    def filters(self) -> dict[str, Any]:
        """The valid filters as the selector takes them; a refused one filters nothing."""
        data = getattr(self, "cleaned_data", {})
        return {
            "search": (data.get("q") or "").strip(),
            "partnership": data.get("partnership"),
            "sensitivity": data.get("sensitivity") or "",
        }


class DocumentUploadForm(forms.Form):
    title = forms.CharField(max_length=200)
    sensitivity = forms.ChoiceField(
        choices=Document.Sensitivity.choices,
        widget=forms.RadioSelect,
        help_text=SENSITIVITY_HELP,
    )
    partnership = forms.ModelChoiceField(
        queryset=Partnership.objects.none(),
        required=False,
        empty_label="None (an alliance paper)",
        help_text="Needed for partnership and commercially sensitive papers. Only partnerships "
        "your agency is an active member of.",
    )
    file = forms.FileField(
        widget=forms.FileInput(attrs={"accept": ",".join(f".{ext}" for ext in ALLOWED)}),
    )

    def __init__(self, *args: Any, partnerships: QuerySet[Partnership], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partnership"]).queryset = partnerships  # type: ignore[type-arg]
        self.fields["file"].help_text = FILE_HELP.format(limit=settings.DOCUMENT_MAX_MB)
