"""What every submit handler imports whatever its own code: DynamoDB through pynamodb (and so botocore),
validation through one pydantic model, and logging through the Powertools Logger.

bench.py imports this in a fresh process; the submit handler cannot import in less time than this."""

import pynamodb.models  # noqa: F401
from aws_lambda_powertools import Logger
from pydantic import BaseModel

logger = Logger()


class OneField(BaseModel):
    value: str
