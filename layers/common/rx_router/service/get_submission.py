"""GET /rx/prescriptions/{id} and /timeline: a submission, to the API client that created it and no one else."""

import uuid

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.api.views import submission_view, timeline_view
from rx_router.domain.submission import Submission
from rx_router.errors import Forbidden, NotFound
from rx_router.store import submissions, timeline
from rx_router.store.clients import ApiClient

NOT_FOUND = 'Submission not found'


def owned_submission(request: ApiRequest, client: ApiClient | None) -> Submission:
    """The submission the path names: 404 when there is none, 403 when another API client owns it."""
    assert client is not None
    submission_id = request.path_parameters.get('id', '')
    try:
        uuid.UUID(submission_id)
    except ValueError:
        raise NotFound(NOT_FOUND) from None
    submission = submissions.get(submission_id)
    if submission is None:
        raise NotFound(NOT_FOUND)
    if submission.api_key_id != client.id:
        raise Forbidden('Submission belongs to a different API client')
    return submission


def get_submission(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    submission = owned_submission(request, client)
    return ApiResponse(200, submission_view(submission, timeline.events_of(submission)))


def get_timeline(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    submission = owned_submission(request, client)
    return ApiResponse(200, timeline_view(submission, timeline.events_of(submission)))
