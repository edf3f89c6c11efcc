"""PioneerRx Enterprise API: every call is POST /api/enterprise/method/process (live database) or
/api/enterprise/method/test/process (the separate "DayOld" test database), authenticated by prx-api-key,
prx-timestamp and prx-signature = Base64(SHA-512(UTF-16LE(timestamp + shared secret))), with a body
`{MethodName, Version: "1.0", ParameterCollection: [{Name, Value}]}` whose values are all strings.

Each database has its own patients and orders. Methods: PatientSearch, PatientAdd, PrescriberSearch (every
10-digit NPI is a registered prescriber), RxAddOnHold (answers rxTransactionID etc.; the order starts "Waiting
for Data Entry"), GetRxTransaction (the order's current fillState). The admin actions change the fillState and
post nothing: PioneerRx sends the router no webhook, the router learns the state by GetRxTransaction.

Invented here (no public source; the real pharmacy decides): the 401 / 400 answer bodies, and an unknown
transaction answering an empty `rxTransaction` list.
"""

import base64
import hashlib
import hmac
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, ClassVar

from rxlocal.sandboxes.base import Reply, Sandbox, SandboxOrder

LIVE_PATH = '/api/enterprise/method/process'
TEST_PATH = '/api/enterprise/method/test/process'
MAX_CLOCK_SKEW_SECONDS = 300
UNAUTHORIZED = {'message': 'Authorization has been denied for this request.'}
FILL_STATES = {'process': 'Fill in Progress', 'ship': 'Shipped', 'deliver': 'Completed', 'cancel': 'Cancelled'}
RX_ADD_ON_HOLD_REQUIRED = (
    'PatientID',
    'WrittenByID',
    'DateWritten',
    'Directions',
    'Quantity',
    'QuantityTypeID',
    'NumberOfRefillsAllowed',
    'OriginTypeID',
    'MedicationNDC',
    'DispenseAsWritten',
    'PrescriberOrderNumber',
)
LOCAL_ID = 'pioneerrx-local'
# Sandbox-only NDCs (the 99999 labeler prefix is no real manufacturer's).
LOCAL_CATALOG = (
    ('semaglutide', 'Semaglutide (compounded)', '99999000101'),
    ('tirzepatide', 'Tirzepatide (compounded)', '99999000202'),
)


def expected_signature(stamp: str, shared_secret: str) -> str:
    return base64.b64encode(hashlib.sha512((stamp + shared_secret).encode('utf-16-le')).digest()).decode()


def _bad_request(*errors: str) -> Reply:
    return Reply(400, {'message': 'The request is invalid.', 'errors': list(errors)})


class PioneerRxSandbox(Sandbox):
    type_name = 'pioneerrx'
    test_url_setting: ClassVar[str | None] = None  # the test database is a path of the same server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patients: dict[tuple[bool, str, str, str], str] = {}  # (test, last, first, dob) -> personID
        self.fills: dict[str, dict[str, Any]] = {}  # rxTransactionID -> its transaction row

    @classmethod
    def url_settings(cls, url: str) -> dict[str, str]:
        return {'base_url': url}

    @classmethod
    def local_credentials(cls, pharmacy: str) -> dict[str, str]:
        return {'api_key': f'local-{pharmacy}-api-key', 'shared_secret': f'local-{pharmacy}-shared-secret'}

    @classmethod
    def local_seed(cls) -> tuple[list[Any], list[Any]]:
        from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance

        instance = PharmacyInstance(
            id=LOCAL_ID,
            type=cls.type_name,
            label='PioneerRx (local sandbox)',
            settings={
                'base_url': 'http://127.0.0.1:9/replaced-by-the-sandbox',
                'requested_by_employee_id': '1001',
                'origin_type_id': '5',
                'quantity_type_id': '1',
            },
            credentials_key=LOCAL_ID,
        )
        catalog = [
            CatalogEntry(pharmacy=LOCAL_ID, product=product, name=name, native_id=ndc, match=(product,))
            for product, name, ndc in LOCAL_CATALOG
        ]
        return [instance], catalog

    def api(self, method: str, path: str, query: str, headers: dict[str, str], body: Any, test: bool) -> tuple[int, Any]:
        if method != 'POST' or path not in (LIVE_PATH, TEST_PATH):
            return 404, {'message': 'No HTTP resource was found that matches the request URI.'}
        self.authenticate(headers)
        name, parameters = self.parse(body)
        test_database = path == TEST_PATH
        if name == 'PatientSearch':
            return self.patient_search(parameters, test_database)
        if name == 'PatientAdd':
            return self.patient_add(parameters, test_database)
        if name == 'PrescriberSearch':
            npi = parameters.get('NPI', '')
            rows = [{'personID': f'PRE-{npi}', 'npi': npi}] if npi.isdigit() and len(npi) == 10 else []
            return 200, {'results': {'prescriberSearchResults': rows}}
        if name == 'RxAddOnHold':
            return self.rx_add_on_hold(parameters, test_database)
        if name == 'GetRxTransaction':
            row = self.fills.get(parameters.get('RxTransactionID', ''))
            order = self.orders.get(row['rxTransactionID']) if row else None
            found = row is not None and order is not None and order.test == test_database
            return 200, {'results': {'rxTransaction': [row] if found else []}}
        raise _bad_request(f'Unknown MethodName {name}')

    def authenticate(self, headers: dict[str, str]) -> None:
        stamp = headers.get('prx-timestamp', '')
        try:
            sent_at = datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=UTC)
        except ValueError:
            raise Reply(401, UNAUTHORIZED) from None
        fresh = abs((datetime.now(UTC) - sent_at).total_seconds()) <= MAX_CLOCK_SKEW_SECONDS
        expected = expected_signature(stamp, self.config.credentials['shared_secret'])
        key_ok = hmac.compare_digest(headers.get('prx-api-key', ''), self.config.credentials['api_key'])
        if not (key_ok and fresh and hmac.compare_digest(headers.get('prx-signature', ''), expected)):
            raise Reply(401, UNAUTHORIZED)

    @staticmethod
    def parse(body: Any) -> tuple[str, dict[str, str]]:
        if not isinstance(body, dict) or not isinstance(body.get('MethodName'), str):
            raise _bad_request('MethodName is required')
        if body.get('Version') != '1.0':
            raise _bad_request('Version must be "1.0"')
        collection = body.get('ParameterCollection')
        if not isinstance(collection, list):
            raise _bad_request('ParameterCollection must be a list')
        parameters: dict[str, str] = {}
        for item in collection:
            if not (isinstance(item, dict) and isinstance(item.get('Name'), str) and isinstance(item.get('Value'), str)):
                raise _bad_request('Every ParameterCollection item must be {"Name": string, "Value": string}')
            if item['Name'] in parameters:
                raise _bad_request(f'Parameter {item["Name"]} given twice')
            parameters[item['Name']] = item['Value']
        return body['MethodName'], parameters

    def patient_search(self, parameters: dict[str, str], test: bool) -> tuple[int, Any]:
        key = (test, parameters.get('LastName', ''), parameters.get('FirstName', ''), parameters.get('DateOfBirth', ''))
        found = self.patients.get(key)
        return 200, {'results': {'patientSearchResults': [{'personID': found}] if found else []}}

    def patient_add(self, parameters: dict[str, str], test: bool) -> tuple[int, Any]:
        missing = [n for n in ('FirstName', 'LastName', 'DateOfBirth', 'GenderID') if not parameters.get(n)]
        if missing:
            raise _bad_request(*(f'{n} is required' for n in missing))
        person = f'PAT-{uuid.uuid4()}'
        with self.lock:
            self.patients[(test, parameters['LastName'], parameters['FirstName'], parameters['DateOfBirth'])] = person
        return 200, {'results': {'patient': [{'personID': person}]}}

    def rx_add_on_hold(self, parameters: dict[str, str], test: bool) -> tuple[int, Any]:
        self.apply_triggers(parameters.get('InformationalComment', ''), (400, _bad_request('sandbox:reject').body))
        errors = [f'{n} is required' for n in RX_ADD_ON_HOLD_REQUIRED if not parameters.get(n)]
        patients = {person for (database, *_), person in self.patients.items() if database == test}
        if parameters.get('PatientID') and parameters['PatientID'] not in patients:
            errors.append('PatientID is not a patient of this database')
        if parameters.get('MedicationNDC') and parameters['MedicationNDC'] not in self.config.drug_ids:
            errors.append('MedicationNDC is not an item of this pharmacy')
        for number in ('Quantity', 'NumberOfRefillsAllowed'):
            try:
                float(parameters.get(number) or 'missing')
            except ValueError:
                errors.append(f'{number} must be a number')
        if errors:
            raise _bad_request(*errors)
        transaction_id = str(uuid.uuid4())
        row: dict[str, Any] = {
            'rxTransactionID': transaction_id,
            'rxID': str(uuid.uuid4()),
            'rxNumber': 100_000 + len(self.fills),
            'refillNumber': 0,
            'fillState': 'Waiting for Data Entry',
        }
        with self.lock:
            self.fills[transaction_id] = row
            self.orders[transaction_id] = SandboxOrder(
                order_id=transaction_id, sender_id=parameters['PrescriberOrderNumber'], test=test, status=row['fillState']
            )
        return 200, {'results': {'rxTransaction': [{k: row[k] for k in ('rxTransactionID', 'rxID', 'rxNumber', 'refillNumber')}]}}

    def send_status_webhook(self, order_id: str, action: str, options: dict[str, Any]) -> tuple[int, Any]:
        """PioneerRx posts no webhook to the router: the action only changes the fillState that GetRxTransaction
        answers (the router learns it by its status query)."""
        order, row = self.orders.get(order_id), self.fills.get(order_id)
        if order is None or row is None:
            return 404, {'message': f'No sandbox order {order_id}'}
        with self.lock:
            order.status = row['fillState'] = FILL_STATES[action]
            tracking = options.get('trackingNumber') or order.tracking_number
            if action == 'ship':
                order.tracking_number = row['trackingNumber'] = tracking or f'{uuid.uuid4().int % 10**12:012d}'
        return 200, {'order': asdict(order), 'webhook': None, 'fillState': row['fillState']}

    def status_webhook(self, order: SandboxOrder, options: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError('PioneerRx sends no status webhook (send_status_webhook is overridden)')
