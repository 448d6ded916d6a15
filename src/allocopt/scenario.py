"""The scenario: every input of a planning run, validated.

A scenario is a set of tables (districts, services, population, sites, options, ...) plus
settings. Each table row is one pydantic model with ``extra="forbid"``; every field states
its unit (the numeric column types and their ranges: :mod:`allocopt.units`). :class:`Scenario`
holds the validated tables; cross-table checks (unknown ids, duplicates, years outside the
horizon, ...) live in :mod:`allocopt.validate`.

Units used throughout: money in SEK (real, in the price level of ``settings.currency_year``),
capacity and demand in places (children, pupils, apartments), distances in km, time in
whole calendar years.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from allocopt.tables import CLOSURES
from allocopt.units import (
    COORDINATE,
    DISCOUNT_RATE,
    HOMES,
    KM,
    LEAD_TIME,
    MODULES,
    PENALTY,
    PERSONS,
    PERSONS_PER_HOME,
    PLACES,
    PLACES_PER_MODULE,
    POSITIVE_SHARE,
    REACH_KM,
    SEK,
    SEK_PER_YEAR,
    SHARE,
    TRAVEL_COST,
    YEAR,
    YEARS_IN_SERVICE,
    number,
)

OptionKind = Literal["build", "lease", "pavilion", "expansion", "conversion"]
"""Kinds of candidate project.

- ``build``: a new owned building in a district (lifetime, residual value).
- ``lease``: a new leased building in a district for ``term`` years (rent, no residual).
- ``pavilion``: a temporary pavilion in a district for ``term`` years (set-up capex, rent).
- ``expansion``: extra modules at an existing site for one service (owned, residual value).
- ``conversion``: capacity moved at an existing site from ``from_service`` to ``service``.
"""

Party = Literal["municipality", "property_company"]
"""Who pays a cost: the municipality's services (their operating budget) or the municipal property
company (which builds, owns, and charges the municipality internal rent)."""

PARTIES: tuple[str, ...] = ("municipality", "property_company")

OWNED_KINDS: tuple[str, ...] = ("build", "expansion", "conversion")
LEASED_KINDS: tuple[str, ...] = ("lease", "pavilion")
SITE_KINDS: tuple[str, ...] = ("expansion", "conversion")

FORBIDDEN_UNMET_SEK = 1e7
"""SEK per unmet place and year that stands in for unmet demand a scenario forbids, where a plan
must still be priced with some left (the do-nothing baseline, the first plan's elastic
completions): 10 MSEK, above what any place costs a year, so only a place that cannot be had is
left unmet."""


def _nfc(value: Any) -> Any:
    if isinstance(value, str) and not value.isascii() and not unicodedata.is_normalized("NFC", value):
        return unicodedata.normalize("NFC", value)
    return value


class Row(BaseModel):
    """Base of every table row: unknown columns are errors, numbers must be finite (and in their
    :class:`~allocopt.units.Range`), text is compared in Unicode NFC (an id typed decomposed, 'Söder' as
    o + combining diaeresis, is the same id)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _normalise_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(isinstance(v, str) and not v.isascii() for v in data.values()):
            return {k: _nfc(v) for k, v in data.items()}
        return data


class Settings(Row):
    """Scenario-wide settings (the ``settings:`` block of scenario.yaml)."""

    name: str = Field(description="Scenario name; also the default results folder name.")
    description: str = Field("", description="Free text shown in reports.")
    first_year: YEAR = Field(description="First planning year (calendar year).")
    last_year: YEAR = Field(description="Last planning year (calendar year), inclusive.")
    currency: str = Field("SEK", description="Currency of every money figure.")
    currency_year: YEAR | None = Field(None, description="Price level (calendar year) of money figures.")
    discount_rate: DISCOUNT_RATE = Field(
        0.025,
        description="Real discount rate per year (0.025 = 2.5 %); a cost in year y is weighted "
        "1/(1+rate)^(y-first_year). Money is in real prices, so the rate is real: a nominal rate (such as "
        "SKR's internal interest rate) less expected inflation.",
    )
    residual_value: Literal["straight_line", "none"] = Field(
        "straight_line",
        description="Value of owned assets at the horizon end: 'straight_line' credits capex times the "
        "unused share of the lifetime (and the sale value of existing owned sites still open); 'none' credits nothing.",
    )
    capex_overrun: SHARE = Field(
        0.0,
        description="Cost overrun allowance: the share by which every option's capex is raised wherever capex "
        "counts (objective, capex caps, residual value, actions and costs tables): capex × (1 + capex_overrun); "
        "0.17 = 17 %.",
    )
    capex_timing: Literal["spread", "opening"] = Field(
        "spread",
        description="When capex is paid: 'spread' evenly over the lead-time years before opening "
        "(in the opening year when the lead time is 0); 'opening' all in the opening year.",
    )
    unmet_penalty: PENALTY | Literal["forbidden"] = Field(
        "forbidden",
        description="SEK per unmet place and year, or 'forbidden' (every place must be served). "
        "A service may override it.",
    )
    perspective: Literal["consolidated", "municipality"] = Field(
        "consolidated",
        description="Whose discounted cost is minimised: 'consolidated' (the municipality and its property "
        "company together; internal rent cancels out) or 'municipality' (what the services pay: internal rent "
        "instead of the property company's capex).",
    )
    internal_rent_method: Literal["cost_based", "none"] = Field(
        "cost_based",
        description="Internal rent the municipality pays for premises the property company holds: "
        "'cost_based' (an annuity of capex at internal_rate over the years in service, plus external rent "
        "passed on, plus internal_upkeep per place; a site's internal_rent column overrides it) or 'none'.",
    )
    internal_rate: DISCOUNT_RATE = Field(
        0.025,
        description="The property company's internal interest rate for the cost-based rent's annuity, per year "
        "(0.025 = 2.5 %, SKR's internal rate for 2024 and 2025).",
    )
    internal_upkeep: SEK_PER_YEAR = Field(
        0.0,
        description="The property company's maintenance and administration cost charged in the cost-based "
        "internal rent, SEK per nominal place and year.",
    )
    housing_ageing: Literal["none", "cohort"] = Field(
        "none",
        description="How residents of new homes are counted: 'none' applies housing_types' persons per home to "
        "the cumulative stock every year (nobody ages); 'cohort' ages each year's arrivals one year per year "
        "through the age bands (age bands written 'a-b', 'a' or 'a+'; no births, moves or deaths after arrival).",
    )

    language: Literal["en", "sv"] = Field(
        "en",
        description="Language of the reports (HTML report and workbook): 'en' (English) or 'sv' (Swedish); "
        "a command's --lang overrides it.",
    )
    adopted_plan: Literal["keep", "ignore", "price"] = Field(
        "ignore",
        description="How the adopted_plan table (the plan the board adopted earlier) is treated: 'keep' (its "
        "actions up to adopted_until are policy locks: an opening forces its option to open by its year, a "
        "closure closes its site by its year), 'ignore' (the plan is free) or 'price' (every departure from it "
        "costs deviation_cost per option or site and deviation_year_cost per module-year, so that the plan "
        "departs only where that pays). Either way the result lists the plan's deviations from it.",
    )
    adopted_until: YEAR | None = Field(
        None, description="adopted_plan keep: the last year whose adopted actions are kept (blank: every year)."
    )
    deviation_cost: SEK = Field(
        0.0,
        description="adopted_plan price: SEK (undiscounted, notional) per option or site whose openings or "
        "closure depart from the adopted plan (an action dropped, added, moved or resized).",
    )
    deviation_year_cost: SEK = Field(
        0.0,
        description="adopted_plan price: SEK (undiscounted, notional) per module-year by which an option's "
        "opened modules depart from the adopted plan's, and per year a site's closure departs from it (an "
        "opening moved 2 years costs 2 per module; one added or dropped counts each year to the horizon's end).",
    )

    @model_validator(mode="after")
    def _years_ordered(self) -> Settings:
        if self.last_year < self.first_year:
            raise ValueError(f"last_year ({self.last_year}) is before first_year ({self.first_year})")
        return self

    @property
    def years(self) -> list[int]:
        """Planning years, first to last inclusive."""
        return list(range(self.first_year, self.last_year + 1))


class District(Row):
    """A geographic district where demand arises and sites stand."""

    district: str = Field(description="District id.", min_length=1)
    name: str = Field("", description="Display name.")
    x_km: COORDINATE | None = Field(None, description="Easting of the district centre, km.")
    y_km: COORDINATE | None = Field(None, description="Northing of the district centre, km.")


class Service(Row):
    """A municipal service whose places are planned (preschool, school F-6, ...)."""

    service: str = Field(description="Service id.", min_length=1)
    name: str = Field("", description="Display name.")
    max_km: REACH_KM = Field(
        float("inf"),
        description="Maximum travel distance from a district to a site serving it, km (blank or inf: unlimited).",
    )
    utilisation: POSITIVE_SHARE = Field(
        1.0,
        description="Planning utilisation: share of nominal capacity that may be filled (0.95 = 95 %).",
    )
    assignment: Literal["split", "single"] = Field(
        "split",
        description="'split': a district's demand may be shared by several sites; 'single': each "
        "district is served by exactly one site per year (catchment areas).",
    )
    travel_cost: TRAVEL_COST = Field(0.0, description="SEK per place, km and year of travel.")
    unmet_penalty: PENALTY | Literal["forbidden"] | None = Field(
        None, description="Overrides settings.unmet_penalty for this service (SEK per place and year)."
    )
    surplus_min: SHARE | None = Field(
        None,
        description="Floor of the surplus band: spare places a district should have, as a share of its demand "
        "(0.05 = 5 %; spare = its usable places less its demand). Short of it costs surplus_cost (blank: no floor).",
    )
    surplus_max: SHARE | None = Field(
        None,
        description="Ceiling of the surplus band: most spare places a district should have, as a share of its "
        "demand (0.15 = 15 %). Beyond it costs surplus_cost (blank: no ceiling).",
    )
    surplus_cost: PENALTY | None = Field(
        None,
        description="SEK per place and year short of the surplus band's floor or beyond its ceiling (required with "
        "surplus_min or surplus_max); a notional price, like the unmet penalty, never paid.",
    )

    @model_validator(mode="after")
    def _surplus_band(self) -> Service:
        band = self.surplus_min is not None or self.surplus_max is not None
        if band and self.surplus_cost is None:
            raise ValueError("a surplus band (surplus_min, surplus_max) needs surplus_cost (SEK per place and year)")
        if not band and self.surplus_cost is not None:
            raise ValueError("surplus_cost applies only with surplus_min or surplus_max")
        if self.surplus_min is not None and self.surplus_max is not None and self.surplus_min > self.surplus_max:
            raise ValueError(f"surplus_min {self.surplus_min:g} is above surplus_max {self.surplus_max:g}")
        return self


class Coverage(Row):
    """Share of an age band that demands a service."""

    service: str = Field(description="Service id.")
    age_band: str = Field(description="Age band label, as in the population table (e.g. '1-5').")
    rate: SHARE = Field(description="Places per person of the band (0.87 = 87 %).")


class Population(Row):
    """Forecast residents of one district, year and age band."""

    district: str = Field(description="District id.")
    year: YEAR = Field(description="Calendar year (rows after last_year are ignored, with a warning).")
    age_band: str = Field(description="Age band label (e.g. '1-5', '80+').")
    persons: PERSONS = Field(description="Residents, persons.")
    forecast: str | None = Field(
        None,
        description="Forecast variant whose own population table this row belongs to (blank: the base forecast). "
        "A variant with rows here plans with them instead of the base rows (allocopt robust).",
    )


class Housing(Row):
    """New homes completed in a district and year (the housing plan)."""

    district: str = Field(description="District id.")
    year: YEAR = Field(description="Calendar year of completion (rows after last_year are ignored, with a warning).")
    housing_type: str = Field(description="Housing type id, as in housing_types.")
    homes: HOMES = Field(description="New homes completed in the year, homes.")
    forecast: str | None = Field(
        None,
        description="Forecast variant whose own housing plan this row belongs to (blank: the base plan). A "
        "variant with rows here plans with them instead of the base rows (allocopt robust).",
    )


class HousingType(Row):
    """Residents per new home, by housing type and age band."""

    housing_type: str = Field(description="Housing type id (e.g. apartment, townhouse, detached).")
    age_band: str = Field(description="Age band label, as in coverage.")
    persons_per_home: PERSONS_PER_HOME = Field(description="Residents of the band per new home, persons.")


class Demand(Row):
    """Demand given directly, for services without age bands."""

    district: str = Field(description="District id.")
    service: str = Field(description="Service id.")
    year: YEAR = Field(description="Calendar year (rows after last_year are ignored, with a warning).")
    places: PLACES = Field(description="Places demanded.")


PERMIT_USED = number(0, 200, "years", integer=True)
"""Years of a plot's temporary building permit already used before the first planning year."""


class Site(Row):
    """An existing site (premises the municipality owns or leases)."""

    site: str = Field(description="Site id.", min_length=1)
    name: str = Field("", description="Display name.")
    district: str = Field(description="District where the site stands.")
    tenure: Literal["owned", "leased"] = Field("owned", description="Owned or leased.")
    opex: SEK_PER_YEAR = Field(0.0, description="Operating cost while open, SEK per year.")
    rent: SEK_PER_YEAR = Field(0.0, description="Rent while open, SEK per year (leased sites).")
    lease_end: YEAR | None = Field(
        None,
        description="Last year of the current lease (leased sites; blank: the lease runs beyond the horizon); "
        "the site may stay open after it only if renewable.",
    )
    renewable: bool = Field(True, description="Whether the lease may be renewed after lease_end, year by year.")
    renewal_rent: SEK_PER_YEAR | None = Field(
        None, description="Rent after lease_end when renewed, SEK per year (default: rent)."
    )
    may_close: bool = Field(False, description="Whether the model may close the site.")
    close_from: YEAR | None = Field(
        None, description="First year in which the site may be closed (default: first year)."
    )
    closure_cost: SEK = Field(0.0, description="One-off cost of closing, SEK (paid in the first closed year).")
    sale_value: SEK = Field(
        0.0,
        description="Market value of an owned site, SEK: the proceeds of selling it on closing (on_close sell), "
        "and its value at the horizon end.",
    )
    party: Party | None = Field(
        None,
        description="Who holds the site: municipality or property_company (default: property_company if "
        "owned, municipality if leased).",
    )
    internal_rent: SEK_PER_YEAR | None = Field(
        None,
        description="Internal rent the municipality pays for a property-company site while using it, SEK per "
        "year (blank: cost-based, see settings.internal_rent_method).",
    )
    on_close: Literal["sell", "relet", "vacant"] = Field(
        "sell",
        description="What happens to an owned site the plan closes: 'sell' (sale_value on closing), 'relet' "
        "(let to others at relet_rent a year) or 'vacant' (empty at vacancy_cost a year, and the municipality "
        "keeps paying its internal rent).",
    )
    relet_rent: SEK_PER_YEAR = Field(
        0.0, description="Rent received a year for a closed site re-let (on_close relet), SEK."
    )
    vacancy_cost: SEK_PER_YEAR = Field(
        0.0, description="Cost a year of a closed site left empty (on_close vacant), SEK."
    )
    permit_years: YEARS_IN_SERVICE | None = Field(
        None,
        description="Premises under a temporary building permit (a pavilion already standing): most years in all "
        "they may stand on the plot. The site is closed from first_year + permit_years − permit_used_years on, "
        "whatever may_close says (blank: permanent premises).",
    )
    permit_used_years: PERMIT_USED = Field(
        0, description="Years of the site's temporary permit used before first_year, years (with permit_years)."
    )

    def permit_end_from(self, first_year: int) -> int | None:
        """The first year the site must be closed under its temporary permit, the horizon starting in
        ``first_year``: ``first_year + permit_years − permit_used_years``; None for permanent premises."""
        if self.permit_years is None:
            return None
        return first_year + self.permit_years - self.permit_used_years

    @property
    def holder(self) -> str:
        """The party holding the site (``party``, or its default by tenure)."""
        if self.party is not None:
            return self.party
        return "property_company" if self.tenure == "owned" else "municipality"


class SiteCapacity(Row):
    """Nominal capacity of an existing site for one service."""

    site: str = Field(description="Site id.")
    service: str = Field(description="Service id.")
    capacity: PLACES = Field(description="Nominal places.")


class Option(Row):
    """A candidate project the model may choose (in whole modules, in one or more years)."""

    option: str = Field(description="Option id.", min_length=1)
    name: str = Field("", description="Display name.")
    kind: OptionKind = Field(description="build, lease, pavilion, expansion or conversion.")
    district: str | None = Field(None, description="District (build, lease, pavilion; default: the site's).")
    site: str | None = Field(
        None,
        description="Where an expansion or conversion adds capacity: an existing site, or a build option (a new "
        "building expanded or converted once it stands).",
    )
    service: str = Field(description="Service whose capacity the option adds.")
    from_service: str | None = Field(None, description="Service whose capacity a conversion removes.")
    capacity: PLACES_PER_MODULE = Field(description="Nominal places added per module.")
    capacity_from: PLACES | None = Field(
        None, description="Places of from_service removed per converted module (default: capacity)."
    )
    max_modules: MODULES = Field(1, description="Most modules that may be taken in all.")
    capex: SEK = Field(
        0.0,
        description="Investment per module, SEK (set-up cost for leases and pavilions), before "
        "settings.capex_overrun raises it.",
    )
    opex: SEK_PER_YEAR = Field(0.0, description="Operating cost per module while in service, SEK per year.")
    rent: SEK_PER_YEAR = Field(0.0, description="Rent per module while in service, SEK per year.")
    extension_rent: SEK_PER_YEAR | None = Field(
        None,
        description="Lease or pavilion: rent per module and year of a one-year extension after the term, SEK "
        "(blank: no extensions, the modules leave at the end of the term).",
    )
    party: Party | None = Field(
        None,
        description="Who holds the option's premises: municipality or property_company (default: property_company "
        "for build, expansion and conversion; municipality for lease and pavilion).",
    )
    earliest_year: YEAR | None = Field(None, description="Earliest opening year (default: first year).")
    latest_year: YEAR | None = Field(
        None,
        description="Latest opening year (a plot reserved until then, a lease offer that lapses); "
        "blank: no limit. Modules opened by then stay in service as usual.",
    )
    lead_time: LEAD_TIME = Field(0, description="Years from decision to opening; capex is paid over them.")
    lifetime: YEARS_IN_SERVICE | None = Field(
        None, description="Years in service of an owned asset (build, expansion, conversion); default 50."
    )
    term: YEARS_IN_SERVICE | None = Field(
        None, description="Years in service of a lease or pavilion (required for those kinds)."
    )
    permit_years: YEARS_IN_SERVICE | None = Field(
        None,
        description="Lease or pavilion under a temporary building permit: most years in all a module may stand on "
        "the plot, in its term and extensions, with permit_used_years (blank: 15 for a pavilion, the Plan- och "
        "bygglagen's limit, 9 kap. 33 §; no limit for a lease).",
    )
    permit_used_years: PERMIT_USED = Field(
        0,
        description="Years of the plot's temporary permit used before first_year (premises standing there before); "
        "they count for every module of the option, years.",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> Option:
        if self.kind in SITE_KINDS and not self.site:
            raise ValueError(f"a {self.kind} option needs a site")
        if self.kind not in SITE_KINDS and not self.district:
            raise ValueError(f"a {self.kind} option needs a district")
        if self.kind == "conversion" and not self.from_service:
            raise ValueError("a conversion option needs from_service")
        if self.kind != "conversion" and self.from_service:
            raise ValueError("from_service applies only to conversion options")
        if self.kind in LEASED_KINDS and self.term is None:
            raise ValueError(f"a {self.kind} option needs a term (years)")
        if self.kind in LEASED_KINDS and self.lifetime is not None:
            raise ValueError(f"a {self.kind} option has a term, not a lifetime")
        if self.kind in OWNED_KINDS and self.term is not None:
            raise ValueError(f"a {self.kind} option has a lifetime, not a term")
        if self.kind in OWNED_KINDS and self.extension_rent is not None:
            raise ValueError(f"a {self.kind} option has no extensions (extension_rent is for lease and pavilion)")
        if self.kind in OWNED_KINDS and (self.permit_years is not None or self.permit_used_years):
            raise ValueError(f"a {self.kind} option has no temporary permit (permit_years is for lease and pavilion)")
        return self

    @property
    def permit(self) -> int | None:
        """Years in all its premises may stand on the plot (temporary building permit), or None: no limit.
        ``permit_years``, or for a pavilion without one :data:`PAVILION_PERMIT_YEARS`."""
        if self.permit_years is not None:
            return self.permit_years
        return PAVILION_PERMIT_YEARS if self.kind == "pavilion" else None

    @property
    def holder(self) -> str:
        """The party holding the option's premises (``party``, or its default by kind)."""
        if self.party is not None:
            return self.party
        return "municipality" if self.kind in LEASED_KINDS else "property_company"

    @property
    def years_in_service(self) -> int:
        """Years each module stays in service after opening (lifetime or lease term)."""
        if self.kind in LEASED_KINDS:
            assert self.term is not None
            return self.term
        return self.lifetime if self.lifetime is not None else DEFAULT_LIFETIME


DEFAULT_LIFETIME = 50
"""Lifetime (years) of an owned asset when the option does not state one."""

PAVILION_PERMIT_YEARS = 15
"""Years in all a pavilion may stand on its plot when the option does not state ``permit_years``: a
temporary building permit is given for at most ten years and extended at most five years at a time,
never beyond fifteen years in all (Plan- och bygglagen 2010:900, 9 kap. 33 §, as of lag 2014:900;
Boverket, PBL kunskapsbanken, "Tidsbegränsat bygglov")."""


class Distance(Row):
    """Travel distance from a demand district to a site's district (overrides coordinates)."""

    from_district: str = Field(description="District where the demand arises.")
    to_district: str = Field(description="District where the site stands.")
    km: KM = Field(description="Travel distance, km.")


class Budget(Row):
    """The economic frame of one year (blank = no cap)."""

    year: YEAR = Field(description="Calendar year.")
    capex_cap: SEK | None = Field(
        None, description="Group frame: most capex paid in the year by both parties together, SEK."
    )
    opex_cap: SEK | None = Field(
        None,
        description="Group frame: most operating cost plus external rent in the year, both parties together, SEK.",
    )
    investment_cap: SEK | None = Field(None, description="Most capex the property company pays in the year, SEK.")
    borrowing_cap: SEK | None = Field(
        None,
        description="Most debt the property company holds for the plan's investments at the year's end: its "
        "capex paid so far less straight-line depreciation so far, SEK.",
    )
    operating_cap: SEK | None = Field(
        None,
        description="The municipality's operating frame: most it pays in the year in operating cost, external "
        "rent, internal rent and vacancy cost, SEK.",
    )


class Lock(Row):
    """A policy lock on an option or a site.

    What ``year`` means, and a blank year, per rule:

    - ``force`` (option): at least one module opens no later than ``year``; blank: in some year of
      the horizon (no later than last_year).
    - ``forbid`` (option): the option is never chosen; ``year`` is ignored (it forbids every year).
    - ``keep_open`` (site): the site is open in every year through ``year``; blank: every year.
    - ``close`` (site): the site is closed no later than ``year`` (and stays closed); blank: from
      the first year. The site must be allowed to close then (``may_close`` true and ``close_from``
      no later than ``year``, or a lease ended before it); otherwise the lock is an error that says so.
    - ``forbid`` (site): every option at the site (its expansions and conversions) is never chosen;
      ``year`` is ignored. The site itself stays as its own rules and other locks say.
    """

    target: Literal["option", "site"] = Field(description="What is locked: an option or a site.")
    id: str = Field(description="The option's or site's id.")
    rule: Literal["force", "forbid", "keep_open", "close"] = Field(
        description="force / forbid (options); keep_open / close / forbid (sites; forbid: every expansion "
        "and conversion at the site)."
    )
    year: YEAR | None = Field(
        None,
        description="force: opens no later than year (blank: some year in the horizon); forbid (option or "
        "site): ignored (forbidden in every year); keep_open: open through year (blank: every year); "
        "close: closed no later than year (blank: from the first year; the site must be allowed to close "
        "by then: may_close, close_from, or its lease ended).",
    )

    @model_validator(mode="after")
    def _rule_fits_target(self) -> Lock:
        ok = {"option": ("force", "forbid"), "site": ("keep_open", "close", "forbid")}[self.target]
        if self.rule not in ok:
            raise ValueError(f"rule '{self.rule}' does not apply to a {self.target}; use {' or '.join(ok)}")
        return self


DEMAND_SCALE = number(0, 100, "factor")
"""A forecast variant's factor on demand (1 = the base forecast)."""
HOUSING_DELAY = number(0, 30, "years", integer=True)
"""Years a forecast variant's housing plan slips."""


class Forecast(Row):
    """A forecast variant: one way the demand forecast may turn out (allocopt robust).

    A variant is the base demand with its housing plan delayed and its demand scaled; the rows of
    one ``forecast`` together say how. A scenario without forecasts has one variant, the base
    forecast, with probability 1. Each row applies to the demand (``demand_scale``) or the housing
    plan (``housing_delay``) of its ``service``, ``district`` and ``year`` (blank: every one);
    where several rows of a forecast apply to the same demand their factors multiply, and their
    delays add up.
    """

    forecast: str = Field(description="Forecast variant id (e.g. base, high, late_housing).", min_length=1)
    probability: POSITIVE_SHARE | None = Field(
        None,
        description="Probability of the variant (0.25 = 25 %); give it on at least one of the forecast's rows, "
        "the same on every row that gives it. The variants' probabilities sum to 1.",
    )
    service: str | None = Field(None, description="Service whose demand the row scales (blank: every service).")
    district: str | None = Field(
        None, description="District whose demand or housing plan the row changes (blank: every district)."
    )
    year: YEAR | None = Field(
        None,
        description="Year of the demand the row scales, or completion year of the housing the row delays "
        "(blank: every year).",
    )
    demand_scale: DEMAND_SCALE = Field(
        1.0,
        description="Factor on the demand (places) of the row's service, district and year in this variant, "
        "applied after the housing delay (1.2 = 20 % more; blank: 1).",
    )
    housing_delay: HOUSING_DELAY = Field(
        0,
        description="Years the housing plan of the row's district (and completion year) slips in this variant: "
        "homes completed in t count from t + delay (after the last year: not at all); blank: 0. Leave service "
        "blank on a row with a delay.",
    )


class AdoptedAction(Row):
    """An action of the plan the board adopted earlier, in the format of a result's actions table
    (allocopt.adopted; settings adopted_plan and adopted_until say how it is treated)."""

    year: YEAR = Field(description="Opening year (an option), extension year (extend) or first closed year (close).")
    action: Literal["build", "lease", "pavilion", "expansion", "conversion", "extend", "close", "lease_end"] = Field(
        description="The option's kind, extend (modules of a lease or pavilion kept a year beyond their term), or "
        "close / lease_end (a site closed)."
    )
    option: str | None = Field(None, description="Option id (every action but close and lease_end).")
    site: str | None = Field(None, description="Site id (close and lease_end).")
    modules: MODULES | None = Field(None, description="Modules opened or kept (blank: 1).")
    district: str | None = Field(None, description="As in a result's actions table; not read.")
    service: str | None = Field(None, description="As in a result's actions table; not read.")
    from_service: str | None = Field(None, description="As in a result's actions table; not read.")
    capacity_change: float | None = Field(None, description="As in a result's actions table (places); not read.")
    capacity_removed: float | None = Field(None, description="As in a result's actions table (places); not read.")
    capex: float | None = Field(None, description="As in a result's actions table (SEK); not read.")
    decision_year: int | None = Field(None, description="As in a result's actions table; not read.")
    closure_cost: float | None = Field(None, description="As in a result's actions table (SEK); not read.")
    sale_value: float | None = Field(None, description="As in a result's actions table (SEK); not read.")

    @model_validator(mode="after")
    def _names_its_target(self) -> AdoptedAction:
        closure = self.action in CLOSURES
        if closure and not self.site:
            raise ValueError(f"a {self.action} action needs a site")
        if not closure and not self.option:
            raise ValueError(f"a {self.action} action needs an option")
        return self


TABLES: dict[str, type[Row]] = {
    "districts": District,
    "services": Service,
    "coverage": Coverage,
    "population": Population,
    "housing": Housing,
    "housing_types": HousingType,
    "demand": Demand,
    "sites": Site,
    "site_capacities": SiteCapacity,
    "options": Option,
    "distances": Distance,
    "budget": Budget,
    "locks": Lock,
    "forecasts": Forecast,
    "adopted_plan": AdoptedAction,
}
"""Every scenario table, by its name (also its CSV file stem and Excel sheet name)."""

REQUIRED_TABLES: tuple[str, ...] = ("districts", "services")


class Scenario(BaseModel):
    """A validated scenario: settings plus one list of rows per table.

    Build one with :func:`allocopt.load_scenario` (files) or directly from Python objects;
    :meth:`table` gives any table as a DataFrame with the row model's columns.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: Settings
    districts: list[District]
    services: list[Service]
    coverage: list[Coverage] = []
    population: list[Population] = []
    housing: list[Housing] = []
    housing_types: list[HousingType] = []
    demand: list[Demand] = []
    sites: list[Site] = []
    site_capacities: list[SiteCapacity] = []
    options: list[Option] = []
    distances: list[Distance] = []
    budget: list[Budget] = []
    locks: list[Lock] = []
    forecasts: list[Forecast] = []
    adopted_plan: list[AdoptedAction] = []

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scenario:
        from allocopt.validate import ScenarioError, cross_check

        sources = (info.context or {}).get("sources") if info is not None else None
        problems = cross_check(self, sources)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ScenarioError(problems)
        return self

    @property
    def years(self) -> list[int]:
        """Planning years."""
        return self.settings.years

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` as a DataFrame (columns = the row model's fields, in order)."""
        model = TABLES[name]
        rows = getattr(self, name)
        columns = list(model.model_fields)
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.DataFrame([r.model_dump() for r in rows], columns=columns)

    def unmet_penalty(self, service: str) -> float | None:
        """Penalty per unmet place and year of ``service`` in SEK, or None where unmet is forbidden."""
        svc = next(s for s in self.services if s.service == service)
        value = svc.unmet_penalty if svc.unmet_penalty is not None else self.settings.unmet_penalty
        return None if value == "forbidden" else float(value)
