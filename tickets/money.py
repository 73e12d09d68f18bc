"""Money is integer pence plus a currency code; this only formats it."""

SYMBOLS = {"GBP": "£"}


def format_pence(pence: int, currency: str = "GBP", *, short: bool = False) -> str:
    """Return '£1,234.50' (or 'EUR 12.00' for currencies without a symbol).
    With `short`, whole pounds drop the pence: '£95', the GOV.UK style."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    amount = f"{pounds:,}" if short and not rest else f"{pounds:,}.{rest:02d}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency.upper()} {amount}"
