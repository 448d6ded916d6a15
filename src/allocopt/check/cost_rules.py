"""The cost rules of one option or site (models/premises.md, *Objective*), as the checker applies them.

Pure functions of the scenario's rows: discounting, an option's capex with the cost overrun
allowance, when capex is paid, the residual share, a site's rent, closure cost and sale value.
"""

from __future__ import annotations

from allocopt.scenario import LEASED_KINDS, Option, Site


def discount_factor(rate: float, first_year: int, year: int) -> float:
    """δ_y = (1 + rate)^-(year − first_year); ``year = T + 1`` gives δ_end."""
    return (1.0 + rate) ** -(year - first_year)


def option_capex(option: Option, overrun: float) -> float:
    """capex_o: one module's capex raised by the cost overrun allowance, capex · (1 + capex_overrun)."""
    return option.capex * (1.0 + overrun)


def capex_payments(option: Option, opening: int, timing: str) -> dict[int, float]:
    """pay[o,t,·]: share of one module's capex paid in each year.

    ``spread`` with a lead time: ``1/lead`` in each year ``t−lead … t−1``; otherwise all in ``t``.
    """
    lead = option.lead_time
    if timing == "spread" and lead > 0:
        return {opening - lead + i: 1.0 / lead for i in range(lead)}
    return {opening: 1.0}


def residual_share(option: Option, opening: int, last_year: int, rule: str) -> float:
    """ρ[o,t] = max(0, 1 − (T − t + 1)/L_o) for owned kinds with ``straight_line``; else 0."""
    if rule != "straight_line" or option.kind in LEASED_KINDS:
        return 0.0
    return max(0.0, 1.0 - (last_year - opening + 1) / option.years_in_service)


def site_rent(site: Site, year: int) -> float:
    """rent_e,y: ``rent`` through ``lease_end``, ``renewal_rent`` (default ``rent``) after."""
    if site.lease_end is not None and year > site.lease_end:
        return site.renewal_rent if site.renewal_rent is not None else site.rent
    return site.rent


def closure_cost(site: Site, first_closed_year: int) -> float:
    """closure_e,y: the site's closure cost; 0 for a leased site closing after its lease_end."""
    if site.tenure == "leased" and site.lease_end is not None and first_closed_year > site.lease_end:
        return 0.0
    return site.closure_cost


CLOSURE_ACTIONS: tuple[str, ...] = ("close", "lease_end")
"""The actions table's words for a site's first closed year."""


def closure_action(site: Site, first_closed_year: int) -> str:
    """The word the actions table uses for closing ``site`` in ``first_closed_year``: ``lease_end`` for a
    leased site first closed after its lease_end (no closure cost), else ``close``."""
    if site.tenure == "leased" and site.lease_end is not None and first_closed_year > site.lease_end:
        return "lease_end"
    return "close"


def sale_value(site: Site) -> float:
    """sale_e: the proceeds of closing an owned site that is sold (on_close sell); 0 otherwise."""
    return site.sale_value if site.tenure == "owned" and site.on_close == "sell" else 0.0


def kept_value(site: Site) -> float:
    """The value credited at the horizon end of an owned site kept when closed (relet, vacant), open or not."""
    return site.sale_value if site.tenure == "owned" and site.on_close != "sell" else 0.0


def annuity_share(rate: float, years: int) -> float:
    """Yearly share of a capital that repays it with interest over ``years``: ``r/(1 − (1+r)^−L)``; 1/L at r = 0."""
    return 1.0 / years if rate == 0 else rate / (1.0 - (1.0 + rate) ** -years)


def option_internal_rent(option: Option, settings) -> tuple[float, float]:
    """(internal rent per module and year in its term, per module and extension year), SEK: for a
    property-company option with ``cost_based`` internal rent, ``capex_o · annuity(internal_rate, L_o) +
    rent_o + internal_upkeep · c_o`` and ``extension_rent_o + internal_upkeep · c_o`` (no upkeep for a
    conversion); else 0."""
    if option.holder != "property_company" or settings.internal_rent_method != "cost_based":
        return 0.0, 0.0
    upkeep = 0.0 if option.kind == "conversion" else settings.internal_upkeep * option.capacity
    capex = option_capex(option, settings.capex_overrun)
    term = capex * annuity_share(settings.internal_rate, option.years_in_service) + option.rent + upkeep
    return term, (option.extension_rent or 0.0) + upkeep


def site_internal_rent(site: Site, settings, places: float, year: int) -> float:
    """irent_e,y, SEK per year: a property-company site's ``internal_rent``, or (blank) ``rent_e,y +
    internal_upkeep · places`` (its nominal places); 0 for a municipality site or without ``cost_based``."""
    if site.holder != "property_company" or settings.internal_rent_method != "cost_based":
        return 0.0
    if site.internal_rent is not None:
        return site.internal_rent
    return site_rent(site, year) + settings.internal_upkeep * places


def on_close(site: Site) -> str:
    """What closing the site does: ``sell``, ``relet`` or ``vacant`` (a leased site: ``sell``, i.e. the lease ends)."""
    return site.on_close if site.tenure == "owned" else "sell"
