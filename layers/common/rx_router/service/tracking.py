"""GET /rx/prescriptions/{id}/tracking: what the fulfillment guide says a patient may see, and nothing else.

Status, whether it shipped and was delivered, carrier, tracking number(s) with the carrier's tracking page,
when it was delivered and when it last changed. Never credentials, submit errors, routing configuration, drug
mapping or pharmacy payloads: the view is built from an explicit list of fields (tests pin the exact key set).
"""

from typing import Any
from urllib.parse import quote, urlsplit

from rx_router.api.request import ApiRequest
from rx_router.api.responses import ApiResponse
from rx_router.domain.events import TimelineEvent
from rx_router.domain.statuses import Status
from rx_router.domain.submission import Package, Submission
from rx_router.service.get_submission import owned_submission
from rx_router.store import timeline
from rx_router.store.clients import ApiClient

# The carriers' public tracking pages, by the carrier's name as pharmacies report it (case-insensitive).
CARRIER_PAGES = {
    'ups': 'https://www.ups.com/track?tracknum={}',
    'usps': 'https://tools.usps.com/go/TrackConfirmAction?tLabels={}',
    'fedex': 'https://www.fedex.com/fedextrack/?trknbr={}',
    'dhl': 'https://www.dhl.com/us-en/home/tracking/tracking-express.html?tracking-id={}',
}


def tracking_url(package: Package, events: list[TimelineEvent]) -> str | None:
    """The page a patient follows: the one the pharmacy gave for that number (https only), else the carrier's."""
    given = [e.detail.get('trackingUrl') for e in events if e.tracking_number == package.tracking_number]
    pharmacy_url = next((u for u in reversed(given) if isinstance(u, str) and urlsplit(u).scheme == 'https'), None)
    if pharmacy_url:
        return pharmacy_url
    page = CARRIER_PAGES.get((package.carrier or '').strip().lower())
    return page.format(quote(package.tracking_number, safe='')) if page else None


def tracking_view(submission: Submission, events: list[TimelineEvent]) -> dict[str, Any]:
    delivered = [e.at for e in events if e.to_status == Status.DELIVERED.value and e.from_status != e.to_status]
    packages = [
        {'trackingNumber': p.tracking_number, 'carrier': p.carrier, 'trackingUrl': tracking_url(p, events)}
        for p in submission.packages
    ]
    latest = packages[-1] if packages else {'trackingNumber': None, 'carrier': None, 'trackingUrl': None}
    return {
        'submissionId': submission.id,
        'status': submission.status.value,
        'shipped': submission.status in (Status.SHIPPED, Status.DELIVERED),
        'delivered': submission.status is Status.DELIVERED,
        'carrier': latest['carrier'],
        'trackingNumber': latest['trackingNumber'],
        'trackingUrl': latest['trackingUrl'],
        'packages': packages,
        'deliveredAt': delivered[0] if delivered else None,
        'lastUpdate': submission.updated_at,
    }


def get_tracking(request: ApiRequest, client: ApiClient | None) -> ApiResponse:
    submission = owned_submission(request, client)
    return ApiResponse(200, tracking_view(submission, timeline.events_of(submission)))
