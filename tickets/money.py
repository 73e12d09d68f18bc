"""Money is integer pence plus a currency code; this only formats it."""

SYMBOLS = {"GBP": "£"}


def format_pence(pence: int, currency: str = "GBP") -> str:
    """Return '£1,234.50' (or 'EUR 12.00' for currencies without a symbol)."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    amount = f"{pounds:,}.{rest:02d}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency.upper()} {amount}"
