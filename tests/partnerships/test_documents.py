"""Papers in the browser and over the API: uploading, reading, downloading, the timeline.

Every path to a paper asks the barrier: a hidden paper is a 404 wherever it is asked for
and the attempt is recorded; a refused upload says why on its field and stores nothing.
"""

from __future__ import annotations

import html as html_text
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from kiaa.models import AuditEvent, Role, User
from partnerships import files
from partnerships.api.documents import NO_AGENCY
from partnerships.models import BarrierAttempt, Document, DocumentAccess
from partnerships.services import documents, mou, withdrawals
from tests.api import api_url
from tests.conftest import World, api_as
from tests.factories import AgencyFactory, PersonFactory, grant
from tests.factories.partnerships import PDF, chief_of, draft_mou, make_partnership, upload
from tests.pages import SLUG, html, page

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
API_FIELDS = {
    "id",
    "title",
    "file",
    "owner_agency",
    "partnership",
    "declaration",
    "tender",
    "sensitivity",
    "uploaded_by",
    "created_at",
}


# ----------------------------------------------------------------------------- helpers


def signed_in(user: User) -> Client:
    """A fresh client signed in as the person (unlike tests.pages, which signs in a given one)."""
    client = Client()
    client.force_login(user)
    return client


def field_error(response: Any, field: str) -> str:
    """The error shown beside a form field (tied to it by aria-describedby)."""
    match = re.search(rf'<p class="error-message" id="id_{field}_error">(.*?)</p>', html(response))
    assert match, f"no error on the {field} field"
    return html_text.unescape(match.group(1))


def stored_files(path: str = "") -> set[str]:
    """Every file in the (test) storage, walked from the root."""
    directories, names = default_storage.listdir(path)
    found = {f"{path}{name}" for name in names}
    for directory in directories:
        found |= stored_files(f"{path}{directory}/")
    return found


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def pdf(name: str = "paper.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def consortium(world: World) -> Any:
    """Lead and partner in a consortium with an MoU; the competitor stays outside."""
    partnership = make_partnership(
        world.lead, world.partner, kind="consortium", name="Debt consortium"
    )
    draft_mou(partnership)
    partnership.refresh_from_db()
    return partnership


@pytest.fixture
def chief_officer(chief_officer: User, consortium: Any) -> User:
    """The lead's chief officer, who has accepted the consortium's undertaking."""
    mou.undertaking_acknowledge(actor=chief_officer, partnership=consortium)
    return chief_officer


@pytest.fixture
def minutes(world: World, consortium: Any, chief_officer: User) -> Document:
    """A partnership paper: the lead and the partner see it, the competitor does not."""
    return upload(
        chief_officer,
        world.lead,
        title="Consortium minutes",
        sensitivity="partnership",
        partnership=consortium,
        name="minutes-march.pdf",
    )


@pytest.fixture
def pricing(world: World, consortium: Any, chief_officer: User) -> Document:
    """A commercial paper of the consortium."""
    return upload(
        chief_officer,
        world.lead,
        title="Secret pricing model",
        sensitivity="commercial",
        partnership=consortium,
        name="pricing.pdf",
    )


# ----------------------------------------------------------------------------- uploading


def test_a_chief_officer_shares_a_paper_and_lands_on_it(world, consortium, chief_officer):
    response = signed_in(chief_officer).post(
        page("document-upload"),
        {
            "title": "Bid plan",
            "sensitivity": "partnership",
            "partnership": consortium.pk,
            "file": pdf("bid-plan.pdf"),
        },
    )
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page("document-detail", pk=document.pk)
    assert (document.owner_agency, document.uploaded_by, document.partnership) == (
        world.lead,
        chief_officer,
        consortium,
    )
    assert (document.original_name, document.content_type) == ("bid-plan.pdf", "application/pdf")
    assert default_storage.open(document.file.name).read() == PDF
    assert AuditEvent.objects.filter(verb="document.uploaded").count() == 1


def test_the_upload_form_offers_only_partnerships_the_acting_agency_is_active_in(
    world, consortium, chief_officer
):
    elsewhere = make_partnership(world.competitor, name="Rival network")
    response = signed_in(chief_officer).get(page("document-upload"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html(response)
    assert "Debt consortium" in html(response)
    assert elsewhere.name not in html(response)


def test_an_admin_who_holds_no_agency_has_nothing_to_share_papers_for(world, admin, api):
    assert signed_in(admin).get(page("document-upload")).status_code == 403
    response = api_as(admin).post(
        api_url("document-list"),
        {"title": "Plan", "sensitivity": "alliance", "file": pdf()},
        format="multipart",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": NO_AGENCY}
    assert not Document.objects.exists()


# (case, form data besides the file, the file, the field the refusal is shown on, its message)
def refusals(world: World, consortium: Any) -> list[tuple[str, dict, Any, str, str]]:
    elsewhere = make_partnership(world.other_agency, name="Elsewhere network")
    no_mou = make_partnership(world.lead, world.partner, name="Network without an MoU")
    rival = make_partnership(world.competitor, name="Rival network")
    big = PDF + b"0" * (1024 * 1024 + 512 * 1024)
    base = {"title": "Plan", "sensitivity": "alliance", "partnership": ""}
    return [
        ("no file", base, None, "file", "This field is required."),
        ("empty file", base, pdf(content=b""), "file", "The submitted file is empty."),
        ("wrong type", base, pdf("tool.exe", b"MZ\x90\x00"), "file", files.NOT_ALLOWED),
        (
            "a pdf that is really text",
            base,
            pdf("plan.pdf", b"just some words"),
            "file",
            files.MISMATCH.format(ext="PDF"),
        ),
        (
            "a text file that is really binary",
            base,
            pdf("notes.txt", PNG),
            "file",
            files.MISMATCH.format(ext="txt"),
        ),
        ("too big", base, pdf(content=big), "file", "The file is 1.5 MB; the limit is 1 MB."),
        (
            "a partnership of another alliance",
            {**base, "sensitivity": "partnership", "partnership": elsewhere.pk},
            pdf(),
            "partnership",
            "Select a valid choice",
        ),
        (
            "a partnership the agency is not in",
            {**base, "sensitivity": "partnership", "partnership": rival.pk},
            pdf(),
            "partnership",
            "Select a valid choice",
        ),
        (
            "partnership papers without a partnership",
            {**base, "sensitivity": "partnership"},
            pdf(),
            "partnership",
            documents.NEEDS_PARTNERSHIP,
        ),
        (
            "commercial papers before the partnership has an undertaking",
            {**base, "sensitivity": "commercial", "partnership": no_mou.pk},
            pdf(),
            "sensitivity",
            documents.NEEDS_UNDERTAKING,
        ),
        (
            "commercial papers before the uploader accepted the undertaking",
            {**base, "sensitivity": "commercial", "partnership": consortium.pk},
            pdf(),
            "sensitivity",
            documents.NEEDS_ACKNOWLEDGEMENT,
        ),
        ("no title", {**base, "title": "  "}, pdf(), "title", "This field is required."),
        (
            "an unknown sensitivity",
            {**base, "sensitivity": "secret"},
            pdf(),
            "sensitivity",
            "Select a valid choice",
        ),
    ]


CASES = [
    "no file",
    "empty file",
    "wrong type",
    "a pdf that is really text",
    "a text file that is really binary",
    "too big",
    "a partnership of another alliance",
    "a partnership the agency is not in",
    "partnership papers without a partnership",
    "commercial papers before the partnership has an undertaking",
    "commercial papers before the uploader accepted the undertaking",
    "no title",
    "an unknown sensitivity",
]


@pytest.fixture
def refusal(request, world, consortium, settings) -> tuple[dict, Any, str, str]:
    settings.DOCUMENT_MAX_MB = 1
    found = {case: rest for case, *rest in refusals(world, consortium)}
    data, upload_file, field, message = found[request.param]
    return data, upload_file, field, message


@pytest.mark.parametrize("refusal", CASES, indirect=True)
def test_a_refused_upload_says_why_on_its_field_and_stores_nothing(refusal, world):
    data, upload_file, field, message = refusal
    # The lead's chief officer, who has not accepted the consortium's undertaking.
    client = signed_in(chief_of(world.lead))
    before = (stored_files(), AuditEvent.objects.count())
    post = {**data, **({"file": upload_file} if upload_file else {})}
    response = client.post(page("document-upload"), post)
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert 'class="error-summary"' in html(response)
    assert not Document.objects.exists()
    assert (stored_files(), AuditEvent.objects.count()) == before


# The same refusals over the API: (status, the key of the error, words of its message).
API_REFUSALS = {
    "no file": (400, "file", "No file was submitted."),
    "empty file": (400, "file", "The submitted file is empty."),
    "wrong type": (400, "file", files.NOT_ALLOWED),
    "a pdf that is really text": (400, "file", files.MISMATCH.format(ext="PDF")),
    "a text file that is really binary": (400, "file", files.MISMATCH.format(ext="txt")),
    "too big": (400, "file", "The file is 1.5 MB; the limit is 1 MB."),
    # Another alliance's partnership does not exist here, exactly like one that never did.
    "a partnership of another alliance": (400, "partnership", "object does not exist"),
    # The consortium is open to the alliance; sharing in it is for its members: 403.
    "a partnership the agency is not in": (403, "detail", documents.NOT_A_MEMBER),
    "partnership papers without a partnership": (400, "partnership", documents.NEEDS_PARTNERSHIP),
    # The partnership's state forbids it for now: 409 (API.md).
    "commercial papers before the partnership has an undertaking": (
        409,
        "detail",
        documents.NEEDS_UNDERTAKING,
    ),
    "commercial papers before the uploader accepted the undertaking": (
        409,
        "detail",
        documents.NEEDS_ACKNOWLEDGEMENT,
    ),
    "no title": (400, "title", "This field may not be blank."),
    "an unknown sensitivity": (400, "sensitivity", "is not a valid choice"),
}


@pytest.mark.parametrize("refusal", CASES, indirect=["refusal"], ids=CASES)
def test_a_refused_api_upload_is_a_clear_4xx_and_stores_nothing(refusal, request, world):
    data, upload_file, _field, _message = refusal
    status, key, words = API_REFUSALS[request.node.callspec.id]
    client = api_as(chief_of(world.lead))
    before = (stored_files(), AuditEvent.objects.count())
    post = {k: v for k, v in data.items() if v != ""}
    if upload_file:
        post["file"] = upload_file
    response = client.post(api_url("document-list"), post, format="multipart")
    assert response.status_code == status
    errors = response.json()
    assert list(errors) == [key], errors
    assert words in (errors[key] if key == "detail" else errors[key][0])
    assert not Document.objects.exists()
    assert (stored_files(), AuditEvent.objects.count()) == before


def test_a_json_api_upload_without_a_file_is_a_400_not_a_500(world, chief_officer):
    response = api_as(chief_officer).post(
        api_url("document-list"),
        {"title": "Plan", "sensitivity": "alliance", "file": "not a file"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["file"]


def test_the_api_shares_a_paper_for_the_acting_agency(world, consortium, chief_officer):
    response = api_as(chief_officer).post(
        api_url("document-list"),
        {
            "title": "Pricing",
            "sensitivity": "commercial",
            "partnership": consortium.pk,
            "file": pdf("pricing.pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201
    document = Document.objects.get()
    data = response.json()
    assert set(data) == API_FIELDS
    assert data["id"] == document.pk
    assert (data["owner_agency"], data["partnership"], data["sensitivity"]) == (
        world.lead.pk,
        consortium.pk,
        "commercial",
    )
    assert (data["declaration"], data["tender"]) == (None, None)
    assert data["uploaded_by"]["username"] == "chief"
    assert data["file"].endswith(api_url("document-download", pk=document.pk))


def test_a_member_of_a_partnership_of_another_agency_is_refused_over_the_api(
    world, consortium, competitor
):
    # The competitor may see that the consortium exists, not share papers in it.
    response = api_as(competitor).post(
        api_url("document-list"),
        {
            "title": "Plan",
            "sensitivity": "partnership",
            "partnership": consortium.pk,
            "file": pdf(),
        },
        format="multipart",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": documents.NOT_A_MEMBER}
    assert not Document.objects.exists()


# ----------------------------------------------------------------------------- reading


def test_the_detail_page_shows_the_paper_and_logs_the_view(world, minutes, partner):
    response = signed_in(partner).get(page("document-detail", pk=minutes.pk))
    assert response.status_code == 200
    for shown in ("Consortium minutes", "Debt consortium", "Lead Advice", "minutes-march.pdf"):
        assert shown in html(response)
    assert page("document-download", pk=minutes.pk) in html(response)
    access = DocumentAccess.objects.get()
    assert (access.person, access.agency, access.action, access.channel) == (
        partner,
        world.partner,
        "view",
        "page",
    )


def test_a_download_streams_the_file_under_its_own_name_and_is_logged(world, minutes, partner):
    before = timezone.now()
    response = signed_in(partner).get(page("document-download", pk=minutes.pk))
    assert response.status_code == 200
    assert body(response) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="minutes-march.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    access = DocumentAccess.objects.get()
    assert (access.person, access.agency, access.action, access.channel) == (
        partner,
        world.partner,
        "download",
        "page",
    )
    assert before <= access.at <= timezone.now()


def test_the_api_reads_and_downloads_a_paper_and_logs_both(world, minutes, partner):
    client = api_as(partner)
    detail = client.get(api_url("document-detail", pk=minutes.pk))
    assert detail.status_code == 200
    assert set(detail.json()) == API_FIELDS
    download = client.get(detail.json()["file"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert body(download) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="minutes-march.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert list(DocumentAccess.objects.values_list("person__username", "action", "channel")) == [
        ("partner", "view", "api"),
        ("partner", "download", "api"),
    ]


def test_a_file_name_with_quotes_and_accents_is_sent_safely(world, chief_officer):
    paper = upload(chief_officer, world.lead, title="Plan", name='plan "final" – été.pdf')
    response = signed_in(chief_officer).get(page("document-download", pk=paper.pk))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert "\n" not in disposition


HIDDEN_PATHS = [
    ("document-detail", "view", "page"),
    ("document-download", "download", "page"),
    ("document-timeline", "timeline", "page"),
    ("api:document-detail", "view", "api"),
    ("api:document-download", "download", "api"),
]


@pytest.mark.parametrize(("name", "action", "channel"), HIDDEN_PATHS)
def test_a_hidden_paper_is_a_404_on_every_path_and_the_attempt_is_recorded(
    name, action, channel, world, minutes, competitor
):
    url = reverse(name, kwargs={"alliance_slug": SLUG, "pk": minutes.pk})
    client = api_as(competitor) if channel == "api" else signed_in(competitor)
    response = client.get(url)
    assert response.status_code == 404
    assert b"Consortium minutes" not in response.content
    attempt = BarrierAttempt.objects.get()
    assert (attempt.person, attempt.document, attempt.agency) == (
        competitor,
        minutes,
        world.competitor,
    )
    assert (attempt.action, attempt.channel) == (action, channel)
    assert not DocumentAccess.objects.exists()
    assert AuditEvent.objects.filter(verb="barrier.attempt").count() == 1


@pytest.mark.parametrize(("name", "action", "channel"), HIDDEN_PATHS)
def test_a_hidden_paper_looks_exactly_like_a_missing_one(
    name, action, channel, world, minutes, competitor
):
    client = api_as(competitor) if channel == "api" else signed_in(competitor)
    hidden = client.get(reverse(name, kwargs={"alliance_slug": SLUG, "pk": minutes.pk}))
    missing = client.get(reverse(name, kwargs={"alliance_slug": SLUG, "pk": minutes.pk + 1000}))
    assert hidden.status_code == missing.status_code == 404
    masked = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert masked.sub(b"", hidden.content) == masked.sub(b"", missing.content)
    assert BarrierAttempt.objects.count() == 1  # the missing one was nobody's paper


def test_an_api_id_that_is_not_a_number_is_a_404(world, partner):
    response = api_as(partner).get(f"/api/v1/a/{SLUG}/documents/abc/")
    assert response.status_code == 404


def test_a_withdrawn_partner_loses_the_commercial_paper_on_every_path(
    world, consortium, pricing, partner
):
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    assert signed_in(partner).get(page("document-detail", pk=pricing.pk)).status_code == 200
    withdrawals.withdrawal_start(
        actor=None, partnership=consortium, agency=world.partner, reason="Bidding against the lead"
    )
    client = signed_in(partner)
    assert client.get(page("document-detail", pk=pricing.pk)).status_code == 404
    assert client.get(page("document-download", pk=pricing.pk)).status_code == 404
    assert "Secret pricing model" not in html(client.get(page("documents")))
    assert api_as(partner).get(api_url("document-list")).json()["count"] == 0


# ----------------------------------------------------------------------------- the timeline


def test_the_arbiter_reads_who_could_see_a_paper_and_who_opened_it(
    world, consortium, pricing, chief_officer, partner, arbiter
):
    signed_in(chief_officer).get(page("document-download", pk=pricing.pk))
    withdrawals.withdrawal_start(
        actor=None, partnership=consortium, agency=world.partner, reason="Bidding"
    )
    response = signed_in(arbiter).get(page("document-timeline", pk=pricing.pk))
    assert response.status_code == 200
    text = html(response)
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", text, re.S)
    assert len(rows) == 4  # lead and partner granted, the chief's download, partner revoked
    assert "Gained access" in rows[0] and "Gained access" in rows[1]
    assert "Downloaded" in rows[2] and "Pat" in rows[2] and "Lead Advice" in rows[2]
    assert "Lost access" in rows[3] and "Partner Housing" in rows[3]
    # The arbiter is not a member of the consortium: no link into the paper, nothing recorded.
    assert page("document-detail", pk=pricing.pk) not in text
    assert not BarrierAttempt.objects.exists()


def test_a_member_who_may_not_see_a_paper_may_not_read_its_timeline(world, minutes, competitor):
    response = signed_in(competitor).get(page("document-timeline", pk=minutes.pk))
    assert response.status_code == 404
    assert BarrierAttempt.objects.get().action == "timeline"


# ----------------------------------------------------------------------------- the list and search


def test_the_list_shows_each_visible_paper_with_its_facts(world, minutes, partner):
    response = signed_in(partner).get(page("documents"))
    assert response.status_code == 200
    row = re.search(r"<tr>\s*<th scope=\"row\">.*?</tr>", html(response), re.S)
    assert row
    for shown in ("Consortium minutes", "Partnership", "Debt consortium", "Lead Advice", "Pat"):
        assert shown in row.group(0)
    assert page("document-detail", pk=minutes.pk) in row.group(0)


def test_search_and_filters_never_reveal_a_hidden_title(world, minutes, pricing, competitor):
    upload(chief_of(world.competitor), world.competitor, title="Rival secret notes")
    client = signed_in(competitor)
    for query in (
        {"q": "secret"},
        {"q": "Consortium"},
        {"q": "pricing.pdf"},
        {"sensitivity": "commercial"},
        {"partnership": minutes.partnership_id},
    ):
        response = client.get(page("documents"), query)
        assert response.status_code == 200
        assert "Consortium minutes" not in html(response)
        assert "Secret pricing model" not in html(response)
        api_query = {("search" if k == "q" else k): v for k, v in query.items()}
        api = api_as(competitor).get(api_url("document-list"), api_query)
        titles = {d["title"] for d in api.json()["results"]}
        assert titles <= {"Rival secret notes"}, query
    found = client.get(page("documents"), {"q": "secret"})
    assert "Rival secret notes" in html(found)
    assert not BarrierAttempt.objects.exists()


def test_search_finds_papers_the_person_may_see_by_title_or_file_name(world, minutes, partner):
    client = signed_in(partner)
    assert "Consortium minutes" in html(client.get(page("documents"), {"q": "minutes-march"}))
    assert "Consortium minutes" not in html(client.get(page("documents"), {"q": "nothing"}))
    api = api_as(partner).get(api_url("document-list"), {"search": "MINUTES"})
    assert [d["id"] for d in api.json()["results"]] == [minutes.pk]


def test_a_partner_is_told_of_commercial_papers_waiting_on_the_undertaking(
    world, consortium, pricing, partner
):
    response = signed_in(partner).get(page("documents"))
    text = html(response)
    assert "Papers waiting on your undertaking" in text
    assert "Debt consortium: 1 commercially sensitive paper will open" in text
    assert "Secret pricing model" not in text
    assert (
        f'href="{page("partnership-mou", pk=consortium.pk)}"' in text
    )  # the undertaking, to accept
    mou.undertaking_acknowledge(actor=partner, partnership=consortium)
    text = html(signed_in(partner).get(page("documents")))
    assert "Papers waiting on your undertaking" not in text
    assert "Secret pricing model" in text


def test_the_competitor_is_not_told_of_papers_it_may_never_see(world, pricing, competitor):
    assert "waiting on your undertaking" not in html(signed_in(competitor).get(page("documents")))


def test_the_list_pages_and_keeps_the_search_in_its_links(world, chief_officer):
    for i in range(30):
        upload(chief_officer, world.lead, title=f"Minutes {i:02}")
    client = signed_in(chief_officer)
    first = client.get(page("documents"), {"q": "Minutes"})
    assert first.status_code == 200
    assert "30 papers found" in html(first)
    assert "?q=Minutes&amp;page=2" in html(first)
    second = client.get(page("documents"), {"q": "Minutes", "page": 2})
    assert html(second).count('<th scope="row">') == 5


def test_a_bad_filter_is_a_clear_400_not_a_500(world, minutes, partner):
    client = signed_in(partner)
    for query in ({"partnership": "abc"}, {"sensitivity": "secret"}, {"q": "a\x00b"}):
        response = client.get(page("documents"), query)
        assert response.status_code == 400
        assert 'class="error-summary"' in html(response)
    api = api_as(partner)
    for query in ({"partnership": "abc"}, {"sensitivity": "secret"}, {"search": "a\x00b"}):
        response = api.get(api_url("document-list"), query)
        assert response.status_code == 400
        assert list(response.json()) == [next(iter(query))]


def test_the_api_list_filters_by_partnership_and_sensitivity(
    world, consortium, minutes, pricing, chief_officer
):
    plain = upload(chief_officer, world.lead, title="Annual report")
    client = api_as(chief_officer)
    listed = client.get(api_url("document-list")).json()
    assert listed["count"] == 3
    assert {"count", "next", "previous", "results"} == set(listed)
    by_partnership = client.get(api_url("document-list"), {"partnership": consortium.pk}).json()
    assert {d["id"] for d in by_partnership["results"]} == {minutes.pk, pricing.pk}
    by_sensitivity = client.get(api_url("document-list"), {"sensitivity": "alliance"}).json()
    assert [d["id"] for d in by_sensitivity["results"]] == [plain.pk]
    other = make_partnership(world.other_agency, name="Elsewhere network")
    refused = client.get(api_url("document-list"), {"partnership": other.pk})
    assert refused.status_code == 400
    assert list(refused.json()) == ["partnership"]


# ----------------------------------------------------------------------------- who gets what

PERSONAS = ("chief_officer", "partner", "competitor", "arbiter", "admin", "outsider")
# A partnership paper of the consortium (lead and partner): what each persona gets on each path.
MATRIX = {
    "documents": (200, 200, 200, 200, 200, 404),
    "document-upload": (200, 200, 200, 200, 403, 404),
    "document-detail": (200, 200, 404, 404, 404, 404),
    "document-download": (200, 200, 404, 404, 404, 404),
    # The partner may see the paper but not who opened it: the sharing agency and the arbiter may.
    "document-timeline": (200, 403, 404, 200, 404, 404),
    "api:document-list": (200, 200, 200, 200, 200, 404),
    "api:document-detail": (200, 200, 404, 404, 404, 404),
    "api:document-download": (200, 200, 404, 404, 404, 404),
}

OBJECT_ROUTES = ("document-detail", "document-download", "document-timeline")


@pytest.mark.parametrize("name", list(MATRIX))
def test_each_persona_gets_what_the_barrier_allows_on_each_path(name, request, minutes):
    for persona, expected in zip(PERSONAS, MATRIX[name], strict=True):
        user = request.getfixturevalue(persona)
        kwargs = {"pk": minutes.pk} if name.split(":")[-1] in OBJECT_ROUTES else {}
        url = reverse(name, kwargs={"alliance_slug": SLUG, **kwargs})
        client = api_as(user) if name.startswith("api:") else signed_in(user)
        assert client.get(url).status_code == expected, f"{persona} on {name}"


# ----------------------------------------------------------------------------- files


def test_files_are_stored_outside_static_and_served_only_through_the_views(world, minutes):
    media = settings.MEDIA_ROOT.resolve()
    static = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    assert all(not media.is_relative_to(s.resolve()) for s in static)
    assert all(not s.resolve().is_relative_to(media) for s in static)
    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"
    # No route reaches the stored name: it resolves to nothing, and the name is not guessable.
    for guess in (f"/{minutes.file.name}", f"/media/{minutes.file.name}"):
        with pytest.raises(Resolver404):
            resolve(guess)
    assert "minutes" not in minutes.file.name
    assert Client().get(f"/media/{minutes.file.name}").status_code == 404


def test_a_person_holding_two_agencies_sees_through_either(world, minutes):
    both = PersonFactory(username="both")
    grant(both, Role.STAFF, world.competitor)
    grant(both, Role.STAFF, world.partner)
    assert signed_in(both).get(page("document-detail", pk=minutes.pk)).status_code == 200
    newcomer = AgencyFactory(alliance=world.alliance, name="Newcomer")
    staff = PersonFactory(username="newcomer")
    grant(staff, Role.STAFF, newcomer)
    assert signed_in(staff).get(page("document-detail", pk=minutes.pk)).status_code == 404


def test_the_log_names_the_agency_the_person_acts_for(world, minutes, partner):
    # Staff of the partner agency who also chairs the competitor: acting for the partner.
    grant(partner, Role.CHIEF_OFFICER, world.competitor)
    client = api_as(partner)
    response = client.get(
        api_url("document-download", pk=minutes.pk), HTTP_X_AGENCY=str(world.partner.pk)
    )
    assert response.status_code == 200
    assert DocumentAccess.objects.get().agency == world.partner
    # Acting for the competitor, the partner still sees the paper through the partner agency;
    # the log says which hat they wore when they opened it.
    client.get(api_url("document-detail", pk=minutes.pk), HTTP_X_AGENCY=str(world.competitor.pk))
    assert DocumentAccess.objects.latest("pk").agency == world.competitor


def test_the_schema_describes_the_papers_api_without_warnings():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [m for m in messages if "Document" in m] == []
    base = "/api/v1/a/{alliance_slug}/documents/"
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths[base])
    assert "multipart/form-data" in paths[base]["post"]["requestBody"]["content"]
    assert "get" in paths[f"{base}{{id}}/"]
    assert "get" in paths[f"{base}{{id}}/download/"]
