"""Estimated cost of provider calls, from public list prices.

Prices are the providers' published on-demand list prices in USD as of 2025-06 (us-east-1 for AWS), without
free tiers, volume discounts or taxes. They are estimates for budgeting a batch, not an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

# Amazon Textract AnalyzeExpense: USD per page, first 1M pages a month.
TEXTRACT_ANALYZE_EXPENSE_PER_PAGE = 0.01


@dataclass(frozen=True)
class TokenPrice:
    """USD per one million tokens."""

    input_per_million: float
    output_per_million: float


# OpenAI list prices (standard tier) per 1M tokens.
OPENAI_PRICES: dict[str, TokenPrice] = {
    "gpt-4o-mini": TokenPrice(0.15, 0.60),
    "gpt-4o": TokenPrice(2.50, 10.00),
    "gpt-4.1-mini": TokenPrice(0.40, 1.60),
    "gpt-4.1-nano": TokenPrice(0.10, 0.40),
    "gpt-4.1": TokenPrice(2.00, 8.00),
}
# Models we have no price for are costed at the most expensive known price, so budgets err high.
_FALLBACK_PRICE = max(OPENAI_PRICES.values(), key=lambda p: p.output_per_million)


def textract_cost(pages: int) -> float:
    """Cost of AnalyzeExpense over ``pages`` pages."""
    return pages * TEXTRACT_ANALYZE_EXPENSE_PER_PAGE


def openai_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    """Cost of one OpenAI call from its usage; dated names (``gpt-4o-mini-2024-07-18``) match their base."""
    price = OPENAI_PRICES.get(model) or next(
        (
            p
            for name, p in sorted(OPENAI_PRICES.items(), key=lambda kv: -len(kv[0]))
            if model.startswith(name)
        ),
        _FALLBACK_PRICE,
    )
    return (input_tokens * price.input_per_million + output_tokens * price.output_per_million) / 1_000_000
