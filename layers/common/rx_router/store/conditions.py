"""How a conditional write that lost (the condition was false) shows up in pynamodb's exceptions."""

from pynamodb.exceptions import PynamoDBException


def condition_failed(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == 'ConditionalCheckFailedException'
