"""The imports no submit handler can avoid: DynamoDB through pynamodb (and so botocore) and one pydantic model.

bench.py imports this in a fresh process: the import budget cannot be lower than this module's time."""

import pynamodb.models  # noqa: F401
from pydantic import BaseModel


class OneField(BaseModel):
    value: str
