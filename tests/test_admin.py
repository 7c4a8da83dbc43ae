import pytest
from django.urls import reverse

from checks.models import Batch, Result

BATCH_SIZE = 5000


@pytest.fixture
def big_batch(admin_user):
    batch = Batch.objects.create(
        owner=admin_user, wiki="https://en.wikipedia.org/wiki/", total=BATCH_SIZE
    )
    Result.objects.bulk_create(
        (
            Result(
                batch=batch,
                position=n,
                url=f"https://en.wikipedia.org/wiki/Page_{n}",
                title=f"Page {n}",
                status=Result.Status.EXISTS if n % 2 else Result.Status.MISSING,
                http_status=200 if n % 2 else 404,
            )
            for n in range(BATCH_SIZE)
        ),
        batch_size=1000,
    )
    return batch


@pytest.mark.django_db
def test_batch_changelist_uses_a_fixed_number_of_queries(
    admin_client, big_batch, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:checks_batch_changelist"))

    assert response.status_code == 200
    assert str(big_batch.pk) in response.content.decode()


@pytest.mark.django_db
def test_batch_change_page_links_to_results_instead_of_inlining_them(
    admin_client, big_batch, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse("admin:checks_batch_change", args=[big_batch.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "View the 5000 results" in page
    assert "Page_4999" not in page


@pytest.mark.django_db
def test_result_changelist_for_a_batch_uses_a_fixed_number_of_queries(
    admin_client, big_batch, django_assert_max_num_queries
):
    url = reverse("admin:checks_result_changelist") + f"?batch__id__exact={big_batch.pk}"

    with django_assert_max_num_queries(10):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == BATCH_SIZE
    assert len(response.context["cl"].result_list) == 100


@pytest.mark.django_db
def test_results_are_read_only_in_the_admin(admin_client, big_batch):
    result = big_batch.results.first()

    page = admin_client.get(reverse("admin:checks_result_change", args=[result.pk]))
    post = admin_client.post(
        reverse("admin:checks_result_change", args=[result.pk]), {"status": "error"}
    )

    result.refresh_from_db()
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert result.status != "error"


@pytest.mark.django_db
def test_result_search_finds_urls(admin_client, big_batch):
    response = admin_client.get(reverse("admin:checks_result_changelist") + "?q=Page_4242")

    assert [r.title for r in response.context["cl"].result_list] == ["Page 4242"]


@pytest.mark.django_db
def test_non_staff_users_cannot_enter_the_admin(user_client):
    response = user_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "login" in response.url
