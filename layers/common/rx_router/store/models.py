"""pynamodb models: the schema of every table. template.yaml declares the same keys; tests create
their tables from these models so the two cannot drift unnoticed (tests/unit/test_template.py)."""

import os

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class _Meta:
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 3
    billing_mode = 'PAY_PER_REQUEST'


class ApiClientModel(Model):
    class Meta(_Meta):
        table_name = os.environ['API_CLIENTS_TABLE']

    api_key = UnicodeAttribute(hash_key=True, attr_name='apiKey')
    client_id = UnicodeAttribute(attr_name='id')
    name = UnicodeAttribute()
    secrets = ListAttribute(of=UnicodeAttribute)
    active = BooleanAttribute()
    created_at = UnicodeAttribute(attr_name='createdAt')
    updated_at = UnicodeAttribute(attr_name='updatedAt')


class RouteModel(Model):
    class Meta(_Meta):
        table_name = os.environ['ROUTING_TABLE']

    state = UnicodeAttribute(hash_key=True)
    pharmacy = UnicodeAttribute(range_key=True)
    priority = NumberAttribute()
    is_active = BooleanAttribute(attr_name='isActive')
    updated_at = UnicodeAttribute(attr_name='updatedAt')


class HistoryEntry(MapAttribute[str, str]):
    """One change to a submission: when, who said so, old → new status, tracking as of then."""

    at = UnicodeAttribute()
    source = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True, attr_name='from')
    to_status = UnicodeAttribute(attr_name='to')
    tracking_number = UnicodeAttribute(null=True, attr_name='trackingNumber')
    carrier = UnicodeAttribute(null=True)


class PharmacyOrderIndex(GlobalSecondaryIndex['SubmissionModel']):
    class Meta:
        index_name = 'pharmacy-order-index'
        projection = AllProjection()

    pharmacy = UnicodeAttribute(hash_key=True)
    pharmacy_order_id = UnicodeAttribute(range_key=True, attr_name='pharmacyOrderId')


class SubmissionModel(Model):
    """One prescription submission. Its id is derived from the deduplication key (store/submissions.py)."""

    class Meta(_Meta):
        table_name = os.environ['SUBMISSIONS_TABLE']

    id = UnicodeAttribute(hash_key=True)
    api_key_id = UnicodeAttribute(attr_name='apiKeyId')
    api_key = UnicodeAttribute(attr_name='apiKey')
    source = UnicodeAttribute()
    source_order_id = UnicodeAttribute(attr_name='sourceOrderId')
    callback_url = UnicodeAttribute(attr_name='callbackUrl')
    patient_state = UnicodeAttribute(attr_name='patientState')
    medication_name = UnicodeAttribute(attr_name='medicationName')
    pharmacy = UnicodeAttribute()
    pharmacy_order_id = UnicodeAttribute(null=True, attr_name='pharmacyOrderId')
    status = UnicodeAttribute()
    tracking_number = UnicodeAttribute(null=True, attr_name='trackingNumber')
    carrier = UnicodeAttribute(null=True)
    error_message = UnicodeAttribute(null=True, attr_name='errorMessage')
    test = BooleanAttribute()
    body_hash = UnicodeAttribute(attr_name='bodyHash')
    request_payload = JSONAttribute(attr_name='requestPayload')
    response_payload = JSONAttribute(null=True, attr_name='responsePayload')
    history = ListAttribute(of=HistoryEntry, default=list)
    last_callback = JSONAttribute(null=True, attr_name='lastCallback')
    submitted_at = UnicodeAttribute(null=True, attr_name='submittedAt')
    created_at = UnicodeAttribute(attr_name='createdAt')
    updated_at = UnicodeAttribute(attr_name='updatedAt')

    pharmacy_order_index = PharmacyOrderIndex()


ALL_MODELS: tuple[type[Model], ...] = (ApiClientModel, RouteModel, SubmissionModel)
