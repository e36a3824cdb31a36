"""THE price table of the AWS cost bench (``bench/aws_cost.py``): us-east-1 on-demand list prices in USD,
without free tiers, volume tiers past the first, savings plans or taxes.

Dated 2026-12-03. This machine cannot browse, so each price names the official pricing page it belongs to
and where the figure was read (a stored public page quoting it); "from memory" marks a price no stored page
confirmed. Verify against the official page before quoting a figure outside this bench.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_DATED = "2026-12-03"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    """One list price: USD per ``unit``, its official page and where the figure was read."""

    usd: float
    unit: str
    page: str
    read_in: str


STEP_FUNCTIONS_TRANSITION = Price(
    0.025 / 1000,
    "state transition (Standard workflows)",
    "https://aws.amazon.com/step-functions/pricing/",
    "$0.025 per 1,000 state transitions; AWS startup guide (aws/agent-toolkit-for-aws, step-functions.md)",
)
LAMBDA_ARM_GB_SECOND = Price(
    0.0000133334,
    "GB-second, arm64, first 7.5 billion GB-s a month",
    "https://aws.amazon.com/lambda/pricing/",
    "cloudchipr.com/blog/aws-lambda-pricing",
)
LAMBDA_X86_GB_SECOND = Price(
    0.0000166667,
    "GB-second, x86_64, first 6 billion GB-s a month",
    "https://aws.amazon.com/lambda/pricing/",
    "cloudchipr.com/blog/aws-lambda-pricing",
)
LAMBDA_REQUEST = Price(
    0.20 / 1_000_000,
    "invocation request",
    "https://aws.amazon.com/lambda/pricing/",
    "$0.20 per 1M requests; cloudchipr.com/blog/aws-lambda-pricing",
)
DYNAMODB_WRITE_UNIT = Price(
    0.625 / 1_000_000,
    "write request unit (on-demand)",
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "$0.625 per million WRU since the Nov. 2024 cut; airbyte.com/data-engineering-resources/dynamodb-pricing",
)
DYNAMODB_READ_UNIT = Price(
    0.125 / 1_000_000,
    "read request unit (on-demand)",
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "$0.125 per million RRU since the Nov. 2024 cut; airbyte.com/data-engineering-resources/dynamodb-pricing",
)
S3_TIER1_REQUEST = Price(
    0.005 / 1000,
    "PUT, COPY, POST or LIST request (S3 Standard)",
    "https://aws.amazon.com/s3/pricing/",
    "$0.005 per 1,000; c3x.dev/blog/s3-request-fees-explained",
)
S3_TIER2_REQUEST = Price(
    0.0004 / 1000,
    "GET, HEAD or SELECT request (S3 Standard)",
    "https://aws.amazon.com/s3/pricing/",
    "$0.0004 per 1,000; c3x.dev/blog/s3-request-fees-explained",
)
WEBSOCKET_MESSAGE = Price(
    1.00 / 1_000_000,
    "WebSocket message, sent or received, per 32 KB (first 1 billion a month)",
    "https://aws.amazon.com/api-gateway/pricing/",
    "$1.00 per million; amnic.com/blogs/aws-api-gateway-pricing",
)
WEBSOCKET_CONNECTION_MINUTE = Price(
    0.25 / 1_000_000,
    "WebSocket connection minute",
    "https://aws.amazon.com/api-gateway/pricing/",
    "$0.25 per million; amnic.com/blogs/aws-api-gateway-pricing",
)
HTTP_API_REQUEST = Price(
    1.00 / 1_000_000,
    "HTTP API request, per 512 KB (first 300 million a month)",
    "https://aws.amazon.com/api-gateway/pricing/",
    "$1.00 per million; amnic.com/blogs/aws-api-gateway-pricing",
)
EVENTBRIDGE_EVENT = Price(
    1.00 / 1_000_000,
    "custom event published (PutEvents entry, per 64 KB)",
    "https://aws.amazon.com/eventbridge/pricing/",
    "$1.00 per million custom events; from memory",
)
TEXTRACT_EXPENSE_PAGE = Price(
    0.01,
    "AnalyzeExpense page, first 1 million pages a month",
    "https://aws.amazon.com/textract/pricing/",
    "$0.01 per page, as receiptflow.providers.cost.TEXTRACT_ANALYZE_EXPENSE_PER_PAGE; from memory",
)

ALL: dict[str, Price] = {
    "step_functions_transition": STEP_FUNCTIONS_TRANSITION,
    "lambda_arm_gb_second": LAMBDA_ARM_GB_SECOND,
    "lambda_x86_gb_second": LAMBDA_X86_GB_SECOND,
    "lambda_request": LAMBDA_REQUEST,
    "dynamodb_write_unit": DYNAMODB_WRITE_UNIT,
    "dynamodb_read_unit": DYNAMODB_READ_UNIT,
    "s3_tier1_request": S3_TIER1_REQUEST,
    "s3_tier2_request": S3_TIER2_REQUEST,
    "websocket_message": WEBSOCKET_MESSAGE,
    "websocket_connection_minute": WEBSOCKET_CONNECTION_MINUTE,
    "http_api_request": HTTP_API_REQUEST,
    "eventbridge_event": EVENTBRIDGE_EVENT,
    "textract_expense_page": TEXTRACT_EXPENSE_PAGE,
}
