"""US reference data and identifier checks used by request validation."""

import re

US_STATES: frozenset[str] = frozenset(
    'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY '
    'NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY'.split()
)

_ZIP = re.compile(r'^\d{5}(?:-?\d{4})?$')
_DEA = re.compile(r'^[A-Z]{2}\d{7}$')
_PHONE_CHARS = re.compile(r'^[\d\s().+-]+$')


def is_zip(value: str) -> bool:
    return bool(_ZIP.match(value))


def phone_digits(value: str) -> str | None:
    """The 10-digit national number of a US phone number, or None if it is not one."""
    if not _PHONE_CHARS.match(value):
        return None
    digits = re.sub(r'\D', '', value)
    if len(digits) == 11 and digits.startswith('1'):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def is_npi(value: str) -> bool:
    """CMS NPI rule: 10 digits, the last a Luhn check digit computed with the 80840 prefix."""
    if not re.fullmatch(r'\d{10}', value):
        return False
    total = 0
    for position, char in enumerate(reversed('80840' + value)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def is_dea_number(value: str) -> bool:
    """DEA registration: two letters and seven digits, the last a check digit."""
    if not _DEA.match(value):
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
