#!/usr/bin/env python3
"""Generate the synthetic PAOS demo engagements.

Writes four fictional engagements (three folders and one workbook) in the
evidence format of docs/spec/evidence-and-results.md:

    northwind-2026-09/     scale-up SaaS; leadership overestimates its structure
    meridian-2026-06/      mature IT-services ecosystem; all eight metrics
    alpine-2026-10/        metrics, partner interviews, hostile-looking text
    harbor-2026-11.xlsx    one workbook, wide ratings layout

Everything is synthetic: companies, people and quotes are invented. The output
is deterministic (fixed seeds, stdlib `random`, no clock, no network): running
the script twice gives byte-identical files. Existing outputs are overwritten.

    .venv/bin/python data/generate_demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.writer.excel import ExcelWriter

SEED = "paos-demo-v1"
RULEBOOK = "paos-v1"
# Fixed timestamp for everything that would otherwise carry the clock (xlsx).
FIXED_TIME = dt.datetime(2026, 11, 20, 9, 0, 0)

SIGNALS = [
    f"{dim}-0{i}" for dim in ("FIT", "REC", "ONB", "ECO", "PERF", "ORG") for i in range(1, 5)
]

STRATEGIC_ROLES = {
    "ceo",
    "founder",
    "cro",
    "cmo",
    "cfo",
    "coo",
    "cpo",
    "board",
    "head_of_partnerships",
}
OPERATIONAL_ROLES = {
    "partner_manager",
    "channel_manager",
    "sales",
    "sales_ops",
    "revops",
    "marketing",
    "customer_success",
    "finance",
    "product",
    "legal",
    "operations",
}
PARTNER_ROLES = {"partner"}

METRIC_IDS = [
    "time_to_first_deal_days",
    "partner_activation_rate",
    "partners_assessed_against_profile",
    "partner_churn_rate",
    "deals_with_partner_attribution",
    "business_review_coverage",
    "active_partners_per_manager",
    "channel_conflict_escalations_per_quarter",
]

# ---------------------------------------------------------------------------
# Evidence text
#
# Per signal and rubric level, interview statements in the voice of an
# employee of the assessed company. Placeholders {we}/{We}/{our}/{Our}/{us}
# name the assessed company: "we" for employees, "they" when a partner speaks
# (English verb forms are the same for both).
# ---------------------------------------------------------------------------

EVIDENCE: dict[str, dict[int, list[str]]] = {
    "FIT-01": {
        1: [
            "{We} sign anyone who asks; last quarter {we} onboarded a reseller in a market {we} don't even sell to.",
            "There is no profile. If a partner is keen and has a logo people recognise, they're in.",
            "The partner list is simply whoever found {us} first; nobody ever wrote down what a good partner looks like.",
        ],
        2: [
            "Everyone has a picture of a good partner in their head, but it's not written anywhere and the pictures don't match.",
            "There was a slide about target partners at the sales kickoff, but nobody looks at it when a new partner comes up.",
            "The head of partnerships knows what a good partner looks like; the rest of {us} are guessing.",
        ],
        3: [
            "{We} have a documented partner profile (industry, deal size, delivery capacity) and it's on the table whenever a new partner is discussed.",
            "The profile is a one-pager with explicit criteria, and the partner committee checks it before saying yes.",
            "When a new partner comes up, the first question is how they match the written profile, and sales has that document too.",
        ],
        4: [
            "Every partner decision is checked against the profile, and {we} revised it twice last year based on which partners actually closed business.",
            "The profile is scored in the CRM for every partner, and {we} update the criteria from win data each half-year.",
            "{We} dropped two criteria from the profile after the data showed they didn't predict partner revenue.",
        ],
    },
    "FIT-02": {
        1: [
            "A referral partner and a systems integrator get the same contract, the same portal and the same pitch.",
            "There's no distinction at all; a partner is a partner.",
            "Resellers, consultancies, technology partners: all treated exactly alike, same discount, same onboarding.",
        ],
        2: [
            "Some are called resellers and some referral partners, but nobody could tell you what each is supposed to do.",
            "The partner types exist on the website; in practice the roles overlap and partners are confused about where they fit.",
            "Three partner tiers were named last year, but the value exchange for each was never defined.",
        ],
        3: [
            "Each partner type has a defined role: referral partners open doors, integrators deliver, resellers own the contract.",
            "There's a documented matrix of partner types, where each sits in the customer journey and what it gets from {us}.",
            "For each type {we} know what they bring and what {we} give them; it's written into the partner guide.",
        ],
        4: [
            "{We} run separate programmes for integrators and resellers and manage the partner mix against targets every quarter.",
            "The partner mix is a tracked target now; {we} wanted more delivery partners in the north and hit the number.",
            "Each partner type has its own programme, its own enablement track and a target share of pipeline.",
        ],
    },
    "FIT-03": {
        1: [
            "I can't remember {us} ever saying no to a partner.",
            "Nobody has ever been declined; even a competitor's reseller got a partner agreement.",
            "There are no criteria for who doesn't fit, so {we} end up with partners who also sell against {us}.",
        ],
        2: [
            "A couple of partners were turned down last year, but that was a gut call by one executive, not a rule.",
            "Sometimes a partner gets declined, depending on who happens to be in the room.",
            "There's an unwritten rule about not signing competitors' resellers, and it has been broken twice.",
        ],
        3: [
            "{We} have written exclusion criteria (direct competitors, no delivery capacity, outside {our} regions) and they're applied every time.",
            "Declining a partner follows the same checklist every time, and the reason gets recorded.",
            "The exclusion list is in the partner policy and sales knows it by heart.",
        ],
        4: [
            "The exclusion criteria are applied and reviewed yearly; last year four partners that no longer fit were offboarded.",
            "Misfit partners get offboarded on a schedule, and the criteria are updated from why past partnerships failed.",
            "The exclusion criteria are reviewed every year, and existing partners are checked against them too, not only new ones.",
        ],
    },
    "FIT-04": {
        1: [
            "Fit is assumed. Nobody has ever looked at whether a partner's customers overlap with {our} target market.",
            "There's no data on customer overlap; partners are signed on a good feeling.",
            "If you ask which partners share customers with {us}, nobody could answer.",
        ],
        2: [
            "For the two biggest partners someone did a rough overlap estimate, based on what the account executives said.",
            "There's a sense of overlap for a few partners, mostly anecdotes from sales.",
            "Somebody eyeballed one partner's customer list once; that's about it.",
        ],
        3: [
            "Before committing to a key partner {we} run an account mapping and measure customer overlap.",
            "For strategic partners, overlap with {our} target accounts is measured before signing.",
            "Account mapping with key partners is standard before {we} commit resources.",
        ],
        4: [
            "Fit is validated with data for every partner, and shared wins and partner churn are tracked over time.",
            "Account mapping runs for all partners, and overlap, joint wins and churn are reviewed every quarter.",
            "The fit score updates from shared wins and churn data; it's not a one-off exercise.",
        ],
    },
    "REC-01": {
        1: [
            "Every partner {we} have came through the founders' network or someone the CEO met at a conference.",
            "There's no sourcing. Partners show up because they know someone here.",
            "All of the partners came in through personal relationships of the leadership team.",
        ],
        2: [
            "Once in a while someone does outbound to potential partners, usually after a bad quarter.",
            "There was a partner sourcing campaign last spring, but nobody repeated it.",
            "Some partners come from outbound, but it's not a repeatable process.",
        ],
        3: [
            "{We} have defined sourcing channels (marketplace, events, referrals) and a tracked candidate pipeline in the CRM.",
            "Partner candidates go into a pipeline with stages, and {we} know where each one came from.",
            "There's a candidate pipeline, reviewed every two weeks, fed from three defined channels.",
        ],
        4: [
            "Sourcing runs continuously; conversion is measured per channel and budget moved to the marketplace because it produces profile-fit partners.",
            "{We} know which sourcing channel produces partners that match the profile, and the mix is tuned every quarter.",
            "The partner pipeline is measured like the sales pipeline, by channel and by fit score.",
        ],
    },
    "REC-02": {
        1: [
            "No evaluation at all. If a partner is interested, they get a contract.",
            "Partners are signed when they're interested; there's no assessment step.",
            "Nobody evaluates candidates; the first real conversation is usually the signing conversation.",
        ],
        2: [
            "There's a conversation or two before signing, but no defined criteria; it depends on who runs it.",
            "Candidates get evaluated in meetings, but everyone uses their own yardstick.",
            "{We} talk to candidates, but there's no scorecard and nothing is written down.",
        ],
        3: [
            "Every candidate is scored against the partner profile before {we} sign.",
            "There's a scoring sheet based on the ideal partner profile; no score, no contract.",
            "Selection follows a rubric, and the score is attached to the partner record.",
        ],
        4: [
            "The scoring is calibrated: scores were compared with partner outcomes and the weights adjusted.",
            "Two evaluators score each candidate independently, and the scores are checked against how partners actually perform.",
            "Scores are consistent across evaluators and recalibrated every year from outcomes.",
        ],
    },
    "REC-03": {
        1: [
            "Nobody owns partner recruitment. It's everybody's job and therefore nobody's.",
            "There's no owner; recruiting partners happens when someone has spare time.",
            "If you ask who's responsible for bringing in new partners, you get blank looks.",
        ],
        2: [
            "Recruitment is a side task of the partner manager, who also runs the existing partners, so it always comes last.",
            "The head of sales is meant to recruit partners on top of a full quota.",
            "Someone owns it on paper, but it's maybe ten percent of their time.",
        ],
        3: [
            "There's a named recruitment owner with targets and protected time for it.",
            "One person owns recruitment, with a target of new partners per quarter.",
            "Recruitment has an owner, a target and time blocked in the calendar.",
        ],
        4: [
            "Recruitment capacity is planned against the targets and reviewed every quarter.",
            "Recruitment headcount is planned from the partner targets, and the quarterly review adjusts it.",
            "Recruitment capacity, targets and results go through a quarterly review with leadership.",
        ],
    },
    "REC-04": {
        1: [
            "If a partner asked why they should join, {we}'d struggle to answer.",
            "There's no articulated reason to join; the assumption is that partners simply want to work with {us}.",
            "Nobody has written down what's in it for the partner.",
        ],
        2: [
            "There's a generic partner pitch deck, but it has never been tested with a single partner.",
            "The pitch is the same for everyone, and nobody asked partners whether it resonates.",
            "There's a slide about partner benefits, but it's generic marketing copy.",
        ],
        3: [
            "{We} have a documented proposition per partner type, and it was validated in interviews with partners.",
            "The value proposition for integrators and resellers is different, documented, and partners helped shape it.",
            "Each partner type gets a proposition that was tested with existing partners before it went out.",
        ],
        4: [
            "The win rate of partner recruitment conversations is tracked, and the proposition was refined twice based on it.",
            "{We} measure which parts of the proposition win partners and update it each half-year.",
            "The recruitment win rate is a KPI, and the proposition gets revised when it drops.",
        ],
    },
    "ONB-01": {
        1: [
            "Onboarding is a contract and a login to the portal. After that, partners are on their own.",
            "There's no onboarding; the partner gets the agreement and a welcome email.",
            "New partners get a login, and that's it.",
        ],
        2: [
            "Onboarding happens case by case; a big partner gets a kickoff, a small one gets nothing.",
            "It depends on the partner manager; some run a proper kickoff, some don't.",
            "There's an onboarding checklist somewhere, but it's used maybe half the time.",
        ],
        3: [
            "Every new partner goes through the same journey: kickoff, training, first joint account plan, each with a milestone.",
            "There's a defined onboarding path with milestones, and every partner goes through it.",
            "Onboarding is documented with milestones at 30, 60 and 90 days.",
        ],
        4: [
            "Each partner's progress through onboarding is tracked, and the journey was changed after completion data showed where partners drop out.",
            "Onboarding completion is tracked per partner, and the path was shortened twice based on the data.",
            "Milestone completion sits on a dashboard, and the journey gets adjusted from the numbers.",
        ],
    },
    "ONB-02": {
        1: [
            "There's no enablement material; partners learn by shadowing a deal, if they're lucky.",
            "There is no partner training at all.",
            "A partner asked for a sales deck and got the internal one from two years ago.",
        ],
        2: [
            "There's some material, but half of it is outdated and nobody maintains it.",
            "Enablement is ad hoc: a slide deck here, a recorded demo there.",
            "Technical enablement exists for one product line; for the rest it's missing.",
        ],
        3: [
            "Partners get structured sales and technical enablement, and the material is maintained.",
            "There's a partner academy with a sales track and a technical track, kept up to date with each release.",
            "Enablement is structured, and someone owns keeping it current.",
        ],
        4: [
            "Enablement is role-based with certification, and {we} track who uses which module.",
            "Partners have to certify before they sell, and module usage is visible per partner.",
            "Partner sellers and engineers certify separately, and usage data is used to fix weak modules.",
        ],
    },
    "ONB-03": {
        1: [
            "Nobody knows how long it takes a partner to get to a first deal.",
            "I couldn't tell you how long time to first deal is, and I don't think anyone here could.",
            "How long partners take to produce anything has never been measured.",
        ],
        2: [
            "My gut says six to nine months for a first deal, but nobody measures it.",
            "There's a rough sense that it's slow, but no number behind it.",
            "People say it takes about a year; nobody has actually checked.",
        ],
        3: [
            "Time to first deal is measured, and the target is under 120 days.",
            "The time from signing to first closed deal is measured and has a target.",
            "It's tracked per partner against a target.",
        ],
        4: [
            "It's measured, it's on target, and it came down from five months to three last year.",
            "Time to first deal is on target and keeps getting shorter thanks to first-deal support.",
            "It's measured, reported monthly and trending down.",
        ],
    },
    "ONB-04": {
        1: [
            "After signing, partners are left alone.",
            "Once the contract is signed nobody calls the partner again.",
            "There's no support to get partners to a first deal; they sink or swim.",
        ],
        2: [
            "Partners get help if they ask for it, but nobody reaches out proactively.",
            "Support comes when a partner escalates; otherwise it's quiet.",
            "If the partner is pushy they get help; if not, not.",
        ],
        3: [
            "Every new partner gets a joint business plan and support on the first deal.",
            "A joint plan is built with each new partner, and someone sits in on their first deals.",
            "First-deal support is standard for new partners.",
        ],
        4: [
            "There's a dedicated activation team, and the activation rate is tracked against a target.",
            "Activation managers have one job, getting new partners to a first deal, and they're measured against a target.",
            "Activation is a role and a number, with a monthly review.",
        ],
    },
    "ECO-01": {
        1: [
            "Nobody knows whether partners make any money with {us}.",
            "No one has ever asked whether the partnership pays off for the partner.",
            "Whether partners earn anything with {us} is a mystery.",
        ],
        2: [
            "Leadership believes the margin is attractive, but it has never been quantified.",
            "The assumption is that partners do well; nobody has the numbers.",
            "There's an anecdote about one partner doing very well, and that's the whole business case.",
        ],
        3: [
            "The partner business case is quantified per type: margin, services attach, time to break-even.",
            "There's a documented business case per partner type, with real numbers.",
            "For each partner type {we} know what a typical partner earns.",
        ],
        4: [
            "Partner profitability is tracked, and the model was adjusted when integrator margins dropped.",
            "Partner profitability is tracked per partner, and the model changes when it weakens.",
            "When the numbers showed resellers losing money on small deals, the model was changed within a quarter.",
        ],
    },
    "ECO-02": {
        1: [
            "No idea what the channel costs {us} versus what it brings.",
            "The cost and the return of the partner channel are simply unknown.",
            "Nobody has ever looked at channel unit economics.",
        ],
        2: [
            "Partner revenue is known; what is spent on partners is buried in other budgets.",
            "Partner-sourced revenue is reported, but costs aren't allocated to the channel.",
            "Revenue yes, cost no.",
        ],
        3: [
            "The cost to recruit, enable and serve partners is known against partner revenue.",
            "Finance allocates channel costs and compares them with partner revenue.",
            "Channel costs are allocated and compared to revenue every quarter.",
        ],
        4: [
            "Channel unit economics are reviewed every quarter and drive where {we} invest.",
            "Budget moved from recruitment to activation because the unit economics said so.",
            "The partner P&L is reviewed with finance and guides investment decisions.",
        ],
    },
    "ECO-03": {
        1: [
            "Every partner has a different deal; terms are negotiated one by one.",
            "There's no incentive structure. Whoever negotiates hardest gets the best discount.",
            "Incentives are whatever the partner negotiated at signing.",
        ],
        2: [
            "There's a discount table, but it rewards volume when what's needed is partners who deliver services.",
            "Incentives exist, but half the partners have exceptions.",
            "The incentives are inconsistent; two partners doing the same thing get paid differently.",
        ],
        3: [
            "The incentive structure is documented, transparent and rewards the behaviours {we} want, like sourced deals.",
            "Every partner knows the incentive table, and it's aligned with what is needed from them.",
            "Incentives are published and applied the same way to everyone.",
        ],
        4: [
            "Incentives are tiered, and {we} measure whether they change behaviour; the services bonus was adjusted last year.",
            "Incentive changes are tested, and only the ones that work are kept.",
            "Tiered incentives, measured for effect and reviewed every year.",
        ],
    },
    "ECO-04": {
        1: [
            "There are no rules of engagement; partner deals get taken direct all the time.",
            "Channel conflict is constant; whoever gets to the customer first wins.",
            "Deal registration doesn't exist, so partners and direct sales fight over the same accounts.",
        ],
        2: [
            "There are informal rules, but the direct team ignores them when quota is at stake.",
            "Deal registration is an email inbox; enforcement depends on the sales manager.",
            "The rules are informal and inconsistently enforced.",
        ],
        3: [
            "Deal registration and rules of engagement with direct sales are documented, and everyone knows them.",
            "Registered deals are protected; the rules are written down and sales signed off on them.",
            "There's a documented deal registration process and clear conflict rules.",
        ],
        4: [
            "Deal registration is enforced in the CRM; conflicts are rare and resolved within days.",
            "Rules of engagement are built into the system; there were two conflicts all year, both resolved within a week.",
            "Conflicts are tracked, rare and resolved fast.",
        ],
    },
    "PERF-01": {
        1: [
            "There are no partner KPIs.",
            "Nobody measures partner performance.",
            "Nothing is tracked per partner.",
        ],
        2: [
            "Partner revenue gets looked at, whenever someone pulls the report.",
            "Revenue is the only number, and it's tracked irregularly.",
            "Revenue per partner appears in a spreadsheet every few months.",
        ],
        3: [
            "A defined KPI set (sourced pipeline, activation, revenue) is tracked every month.",
            "There's a partner KPI dashboard with pipeline, activation and revenue.",
            "Partner KPIs are defined and tracked on a regular cadence.",
        ],
        4: [
            "Leading and lagging KPIs with targets per partner tier, reviewed monthly.",
            "Each partner tier has targets on pipeline, certifications and revenue.",
            "Partners are managed on leading indicators, not just revenue.",
        ],
    },
    "PERF-02": {
        1: [
            "Partner contribution isn't captured anywhere in the CRM.",
            "Nobody can tell which deals partners sourced or influenced.",
            "There's not even a field for partner involvement on the opportunity.",
        ],
        2: [
            "Partner attribution is in the CRM for some deals; the rest comes from manual reports.",
            "Partner managers keep their own spreadsheets of partner deals.",
            "Attribution is partial, and nobody really trusts it.",
        ],
        3: [
            "Sourcing and influence are recorded in the CRM for most deals.",
            "Most deals carry partner attribution in the CRM.",
            "The partner fields are mandatory on opportunities, so most deals have them.",
        ],
        4: [
            "Attribution is complete, audited quarterly, and finance uses it for payouts.",
            "Sales and finance both trust the partner attribution data.",
            "Attribution is audited and drives compensation.",
        ],
    },
    "PERF-03": {
        1: [
            "There are no regular reviews with partners.",
            "Nobody ever sits down with partners to review performance.",
            "Business reviews simply don't happen.",
        ],
        2: [
            "There are reviews with a couple of the big partners, irregularly.",
            "Reviews happen when a partner asks or when something goes wrong.",
            "A few partners get a QBR; most don't.",
        ],
        3: [
            "Every partner gets a regular business review, and partners are tiered by performance.",
            "There's a QBR cadence and a performance-based tiering model.",
            "Partners are tiered by performance and reviewed quarterly.",
        ],
        4: [
            "Tiering decides who gets resources, and every review produces actions that are tracked.",
            "Review actions are tracked to completion, and tier moves drive resource allocation.",
            "Tiers drive resources; reviews produce tracked action items.",
        ],
    },
    "PERF-04": {
        1: [
            "Inactive partners stay on the list forever.",
            "Nobody ever addresses a weak partner.",
            "Half the partners haven't done a deal in two years and still have full portal access.",
        ],
        2: [
            "Under-performance is only addressed when someone escalates.",
            "Bad partners get dealt with when they become a problem for a customer.",
            "Weak partners get attention only after a complaint.",
        ],
        3: [
            "There are defined development and exit paths for under-performing partners.",
            "Under-performers get a development plan, and there's an exit path if that fails.",
            "Development and exit paths are documented and used.",
        ],
        4: [
            "The portfolio is pruned every year and replacements are recruited systematically.",
            "Exit and development paths are applied every quarter; the portfolio gets renewed.",
            "Consequence management is systematic; nobody sits on the list doing nothing.",
        ],
    },
    "ORG-01": {
        1: [
            "No executive really owns the partner strategy.",
            "Partners aren't on the leadership agenda at all.",
            "Nobody at the top is accountable for partners.",
        ],
        2: [
            "The CEO talks about partners a lot, but there are no explicit goals or budget.",
            "There's executive interest, but no goals and no resources.",
            "Leadership likes the idea of partners; nobody has committed resources.",
        ],
        3: [
            "There's a named executive sponsor, and the partner goals are in the company strategy.",
            "The CRO sponsors the programme, and partner goals are written into the annual plan.",
            "Sponsor and goals are explicit and written down.",
        ],
        4: [
            "Partner goals are in the board reporting and resourced accordingly.",
            "The board sees partner metrics every quarter, and the budget follows them.",
            "Partner goals are part of leadership reporting and of the funding decisions.",
        ],
    },
    "ORG-02": {
        1: [
            "Sales competes with partners and marketing ignores them.",
            "Direct sales sees partners as a threat to their commission.",
            "Customer success doesn't even know which customers came through partners.",
        ],
        2: [
            "Alignment depends on individuals; some account executives love partners, others avoid them.",
            "It works with the people who like partners and not with the rest.",
            "Alignment is personal, not structural.",
        ],
        3: [
            "Responsibilities and compensation rules make partner deals welcome in sales.",
            "Sales gets credit for partner deals, so nobody fights them.",
            "Each function has defined partner responsibilities.",
        ],
        4: [
            "Every function carries partner objectives, and conflicts are reviewed monthly.",
            "Marketing, product and customer success all have partner targets.",
            "Partner objectives sit in every function's plan, and conflicts get resolved in a standing review.",
        ],
    },
    "ORG-03": {
        1: [
            "There are no dedicated partner roles.",
            "Nobody works on partners full-time.",
            "Partners are handled by whoever has time.",
        ],
        2: [
            "The partner work is done part-time by people with other priorities.",
            "The only partner manager also runs two regions of direct sales.",
            "One person covers sixty partners on top of other work.",
        ],
        3: [
            "There are dedicated partner roles with defined responsibilities.",
            "The partner managers are full-time, with clear job descriptions.",
            "The partner team has dedicated, skilled people.",
        ],
        4: [
            "Partner team capacity is planned against partner count and growth targets.",
            "Headcount in the partner team is planned from the number of partners per manager.",
            "Partner capacity is planned together with the growth targets.",
        ],
    },
    "ORG-04": {
        1: [
            "Everything runs on spreadsheets and email.",
            "Partner processes live in inboxes and one shared spreadsheet.",
            "There's no system; deal registration is an email.",
        ],
        2: [
            "Some processes exist but aren't documented, and the tools don't talk to each other.",
            "There's a PRM, but half the process still runs in email.",
            "The processes are fragmented across three tools.",
        ],
        3: [
            "Contracting, onboarding and deal registration are documented and run in the CRM.",
            "The core partner processes are documented and live in the PRM.",
            "The processes are documented and supported by the systems.",
        ],
        4: [
            "Processes are automated, governed and measured.",
            "Partner processes are automated end to end, with SLAs.",
            "Cycle times of every partner process are measured.",
        ],
    },
}

# Additional statements only a partner makes (first person = the partner firm,
# "they" = the assessed company). Mixed into the pool for partner raters.
PARTNER_EVIDENCE: dict[str, dict[int, list[str]]] = {
    "FIT-02": {
        1: [
            "We're an integrator and we get exactly the same programme as resellers who only place orders."
        ],
        2: [
            "They told us we're a 'solution partner', but nobody could explain what that means compared to the other tiers."
        ],
        3: [
            "We know our role: we deliver the implementations, the resellers own the contract, and it's written down."
        ],
        4: [
            "There's a separate integrator programme with its own targets, and they actually manage how many of us they need per region."
        ],
    },
    "REC-04": {
        1: [
            "We joined because one of their executives is an old friend, not because of any pitch."
        ],
        2: ["The partner deck was the customer deck with a logo slide added."],
        3: [
            "Before we signed they walked us through what integrators earn and how they support us, and it matched what we saw."
        ],
        4: [
            "They asked us afterwards why we joined, and changed the pitch based on what partners said."
        ],
    },
    "ONB-01": {
        1: ["We got a contract, a portal login and then silence."],
        2: [
            "Our kickoff was good because our contact was experienced; a friend's firm got nothing at all."
        ],
        3: ["There was a 90-day plan with milestones from day one."],
        4: [
            "They track where we are in onboarding and asked us what slowed us down so they could fix it."
        ],
    },
    "ONB-02": {
        1: ["We taught ourselves the product from the public documentation."],
        2: ["The training videos are from two releases ago."],
        3: ["The sales and technical training is solid and kept current."],
        4: [
            "Our engineers had to certify before going live, and the academy shows which modules we've used."
        ],
    },
    "ONB-04": {
        1: ["After we signed, nobody called us for four months."],
        2: ["When we asked for help on our first tender we got it, but we had to chase."],
        3: [
            "We built a joint plan for the first two quarters, and they came along to the first customer meetings."
        ],
        4: [
            "We had an activation manager for our first 90 days, and they were clearly measured on getting us to a deal."
        ],
    },
    "ECO-01": {
        1: [
            "We haven't worked out whether this partnership makes us any money, and they've never asked."
        ],
        2: ["They keep telling us the margin is attractive; nobody has shown us numbers."],
        3: [
            "They showed us a business case for firms like ours, and our numbers roughly match it."
        ],
        4: ["When our services margin dropped, they reworked the model with us within a quarter."],
    },
    "ECO-03": {
        1: ["Our discount was whatever we managed to negotiate at signing."],
        2: ["We get the same discount whether we source the deal or just place the order."],
        3: [
            "The incentive table is published, and we know exactly what we earn for a sourced deal."
        ],
        4: [
            "The incentive tiers are clear, and they changed the services bonus after measuring what it did."
        ],
    },
    "ECO-04": {
        1: ["Twice their direct team took a deal we had registered."],
        2: [
            "Deal registration is an email to a person; whether it's honoured depends on the sales manager."
        ],
        3: ["Registered deals are protected; the rules are documented and we've never lost one."],
        4: [
            "Registration is in the portal, conflicts are rare, and the one we had was settled in three days."
        ],
    },
    "PERF-03": {
        1: ["We've never had a business review with them."],
        2: ["We had one review in two years, after we complained."],
        3: ["Quarterly business reviews, and we know which tier we're in and why."],
        4: [
            "Every QBR ends with an action list and they follow up on it; our tier decides how much support we get."
        ],
    },
    "ORG-02": {
        1: [
            "Their sales reps see us as competition and sometimes tell customers not to use a partner."
        ],
        2: ["It depends on the account executive; some bring us in, some avoid us."],
        3: ["Their sales team gets credit for our deals, so they're happy to work with us."],
        4: [
            "Their product and customer success teams have partner objectives; you notice it in every escalation."
        ],
    },
}

# What a rater who "cannot judge" the signal has no view of.
TOPIC = {
    "FIT-01": "how partners get chosen",
    "FIT-02": "how partner types are defined",
    "FIT-03": "which partners get declined",
    "FIT-04": "customer overlap data",
    "REC-01": "where new partners come from",
    "REC-02": "how candidates are evaluated",
    "REC-03": "who owns partner recruitment",
    "REC-04": "what the partner pitch says",
    "ONB-01": "what happens after a partner signs",
    "ONB-02": "partner training",
    "ONB-03": "time to first deal",
    "ONB-04": "support for new partners",
    "ECO-01": "partner margins",
    "ECO-02": "what the channel costs",
    "ECO-03": "how partner incentives are set",
    "ECO-04": "deal registration",
    "PERF-01": "partner KPIs",
    "PERF-02": "how partner deals are recorded in the CRM",
    "PERF-03": "partner business reviews",
    "PERF-04": "what happens to weak partners",
    "ORG-01": "leadership goals for partners",
    "ORG-02": "how other teams work with partners",
    "ORG-03": "the partner team's workload",
    "ORG-04": "the partner processes and tools",
}

CANNOT_JUDGE = [
    "Can't judge; I have no visibility into {topic}.",
    "I'd be guessing. {Topic} is not something I see from my seat.",
    "Not my area; I couldn't say anything reliable about {topic}.",
    "Skip this one for me, I genuinely don't know enough about {topic}.",
]

LEADS = {
    "strategic": [
        "Honestly, ",
        "If I'm candid, ",
        "From where I sit, ",
        "As I see it, ",
        "Frankly, ",
        "In short: ",
    ],
    "operational": [
        "Day to day, ",
        "On the ground, ",
        "In practice, ",
        "Honestly, ",
        "From my desk, ",
        "Realistically, ",
    ],
    "partner": [
        "From the partner side, ",
        "Honestly, ",
        "From our side of the table, ",
        "Speaking for our firm, ",
        "To be blunt, ",
    ],
}

TAILS = {
    1: [
        "Nobody owns it.",
        "It has simply never been a priority.",
        "It all depends on whoever happens to be around.",
        "It has never come up in a leadership meeting, as far as I know.",
    ],
    2: [
        "It depends a lot on who you ask.",
        "Most of it lives in people's heads.",
        "It works when the right person is involved.",
        "{We} keep saying {we}'ll fix it.",
        "It's better than a year ago, but far from consistent.",
    ],
    3: [
        "It's written down and people actually follow it.",
        "Not perfect, but consistent.",
        "It's part of the standard playbook now.",
        "New people pick it up from the documentation.",
    ],
    4: [
        "And it gets reviewed against the numbers every quarter.",
        "{We} change it when the data tells {us} to.",
        "It keeps getting better because {we} measure it.",
        "It's one of the things {we}'re genuinely proud of.",
    ],
}

VOICE = {
    False: {"{We}": "We", "{we}": "we", "{Our}": "Our", "{our}": "our", "{us}": "us"},
    True: {"{We}": "They", "{we}": "they", "{Our}": "Their", "{our}": "their", "{us}": "them"},
}


def voiced(text: str, partner: bool) -> str:
    for key, value in VOICE[partner].items():
        text = text.replace(key, value)
    return text


def join_lead(lead: str, sentence: str) -> str:
    first = sentence.split(" ", 1)[0]
    keep = first == "I" or first.startswith("I'") or (len(first) > 1 and first[:2].isupper())
    return lead + (sentence if keep else sentence[0].lower() + sentence[1:])


def compose(rng: random.Random, signal: str, level: int, perspective: str, used: set[str]) -> str:
    """A statement for `level` of `signal`, not yet used in this engagement."""
    partner = perspective == "partner"
    pool = [voiced(t, partner) for t in EVIDENCE[signal][level]]
    if partner:
        pool += PARTNER_EVIDENCE.get(signal, {}).get(level, [])
    text = pool[0]
    for attempt in range(40):
        base = rng.choice(pool)
        lead = rng.choice(LEADS[perspective]) if rng.random() < 0.35 + attempt * 0.02 else ""
        tail = (
            voiced(rng.choice(TAILS[level]), partner) if rng.random() < 0.4 + attempt * 0.02 else ""
        )
        text = join_lead(lead, base) if lead else base
        if tail:
            text = f"{text} {tail}"
        if text not in used:
            break
    used.add(text)
    return text


def cannot_judge(rng: random.Random, signal: str, used: set[str]) -> str:
    """A "cannot judge" remark; blank if every variant is already taken."""
    topic = TOPIC[signal]
    options = [
        t.replace("{topic}", topic).replace("{Topic}", topic[0].upper() + topic[1:])
        for t in CANNOT_JUDGE
    ]
    options = [t for t in options if t not in used]
    text = rng.choice(options) if options else ""
    used.add(text)
    return text


# ---------------------------------------------------------------------------
# Engagement profiles
# ---------------------------------------------------------------------------


@dataclass
class Stakeholder:
    sid: str
    role: str
    name: str
    function: str
    perspective: str = ""  # explicit perspective, blank = role default
    source: str = "interview"

    @property
    def effective(self) -> str:
        if self.perspective:
            return self.perspective
        if self.role in STRATEGIC_ROLES:
            return "strategic"
        if self.role in OPERATIONAL_ROLES:
            return "operational"
        return "partner"


@dataclass
class Profile:
    meta: dict[str, str]
    stakeholders: list[Stakeholder]
    # signal -> target mean rating of (strategic, operational, partner);
    # None = that perspective cannot judge the signal (blank or no row).
    targets: dict[str, tuple]
    metrics: list[tuple[str, str, str, str]] = field(default_factory=list)
    skips: tuple[int, int] = (2, 4)  # signals each stakeholder leaves out
    blank_rate: float = 0.02  # "cannot judge" among the rest
    noise: float = 0.06  # chance of a +-1 outlier
    evidence_high: float = 0.7  # share of 3-4 ratings with evidence
    evidence_low: float = 0.96  # share of 1-2 ratings with evidence
    unrated: tuple[str, ...] = ()  # signals nobody rates
    # (stakeholder, signal) -> (rating or None, evidence, source): verbatim rows
    overrides: dict[tuple[str, str], tuple] = field(default_factory=dict)


def T(*rows: tuple) -> dict[str, tuple]:
    assert len(rows) == len(SIGNALS)
    return dict(zip(SIGNALS, rows))


NORTHWIND = Profile(
    meta={
        "id": "northwind-2026-09",
        "client": "Northwind Analytics GmbH",
        "assessed_on": "2026-09-17",
        "industry": "saas",
        "stage": "scale-up",
        "analyst": "Lena Hartmann",
    },
    stakeholders=[
        Stakeholder("NW-01", "ceo", "Tobias Reinholt", "Executive"),
        Stakeholder("NW-02", "cro", "Maren Ostrowski", "Revenue"),
        Stakeholder("NW-03", "head_of_partnerships", "Daniel Achterberg", "Partnerships"),
        Stakeholder("NW-04", "cmo", "Ines Calloway", "Marketing"),
        Stakeholder("NW-05", "partner_manager", "Felix Brandauer", "Partnerships"),
        Stakeholder(
            "NW-06", "partner_manager", "Sophie Lindqvist", "Partnerships", source="workshop"
        ),
        Stakeholder("NW-07", "sales", "Marco Testa", "Sales DACH"),
        Stakeholder(
            "NW-08", "customer_success", "Hannah Weidmann", "Customer Success", source="survey"
        ),
        Stakeholder("NW-09", "revops", "Jakob Lorenz", "Revenue Operations"),
        Stakeholder(
            "NW-10",
            "other",
            "Aylin Demirci",
            "Solutions Engineering",
            perspective="operational",
            source="workshop",
        ),
        Stakeholder(
            "NW-11", "partner", "Pieter van Doorn", "Managing Director, Kestrel Data Consulting"
        ),
        Stakeholder("NW-12", "partner", "Clara Fontaine", "Alliance Lead, Brightwater Systems"),
        Stakeholder("NW-13", "partner", "Rupert Hale", "Sales Director, Ninefold Reseller Group"),
    ],
    #        strategic, operational, partner
    targets=T(
        (3.5, 1.3, 1.4),  # FIT-01  blind spot
        (3.0, 2.0, 1.7),  # FIT-02
        (3.25, 1.3, 1.7),  # FIT-03  blind spot
        (2.5, 1.6, 1.7),  # FIT-04
        (2.5, 2.2, 2.0),  # REC-01
        (3.25, 1.4, 1.7),  # REC-02  blind spot
        (3.0, 2.0, None),  # REC-03
        (3.5, 2.2, 1.3),  # REC-04  blind spot
        (3.25, 1.7, 1.3),  # ONB-01  blind spot
        (3.0, 2.6, 2.3),  # ONB-02
        (2.5, 1.5, 1.7),  # ONB-03
        (3.5, 1.7, 1.3),  # ONB-04  blind spot
        (3.5, 2.0, 1.7),  # ECO-01  blind spot
        (2.25, 2.0, None),  # ECO-02
        (3.0, 2.2, 1.7),  # ECO-03
        (3.25, 1.4, 1.3),  # ECO-04  blind spot
        (3.0, 2.6, 2.3),  # PERF-01
        (3.25, 1.8, 2.0),  # PERF-02  blind spot
        (2.75, 2.2, 1.7),  # PERF-03
        (2.5, 1.8, 2.0),  # PERF-04
        (4.0, 3.0, 2.7),  # ORG-01  aligned strength
        (3.25, 1.7, 1.7),  # ORG-02  blind spot
        (2.75, 2.3, None),  # ORG-03
        (3.0, 2.2, 2.0),  # ORG-04
    ),
    metrics=[
        ("time_to_first_deal_days", "240", "2026-08-31", "document"),
        ("partner_churn_rate", "27.5", "2026-06-30", "document"),
    ],
)

MERIDIAN = Profile(
    meta={
        "id": "meridian-2026-06",
        "client": "Meridian IT Services plc",
        "assessed_on": "2026-06-11",
        "industry": "it-services",
        "stage": "enterprise",
        "analyst": "Jonas Keller",
    },
    stakeholders=[
        Stakeholder("MD-01", "ceo", "Alistair Greaves", "Executive"),
        Stakeholder("MD-02", "coo", "Priya Raman", "Operations"),
        Stakeholder("MD-03", "head_of_partnerships", "Owen Mercer", "Alliances"),
        Stakeholder("MD-04", "channel_manager", "Fiona Carradine", "Channel"),
        Stakeholder("MD-05", "partner_manager", "Tomasz Wieczorek", "Alliances"),
        Stakeholder("MD-06", "sales_ops", "Grace Okafor", "Sales Operations", source="survey"),
        Stakeholder("MD-07", "finance", "Henry Ashdown", "Finance"),
        Stakeholder(
            "MD-08", "customer_success", "Leah Whitcombe", "Client Services", source="workshop"
        ),
        Stakeholder("MD-09", "partner", "Samuel Osei", "CEO, Ridgeline Cloud Partners"),
        Stakeholder("MD-10", "partner", "Annika Berglund", "Practice Lead, Northgate Integration"),
        Stakeholder(
            "MD-11", "partner", "Luis Cabrera", "Channel Director, Vantage Reseller Network"
        ),
    ],
    targets=T(
        (3.7, 3.6, 3.3),  # FIT-01
        (3.3, 3.4, 3.7),  # FIT-02
        (3.3, 3.2, 3.0),  # FIT-03
        (3.3, 3.4, 3.3),  # FIT-04
        (3.3, 3.2, 3.0),  # REC-01
        (3.3, 3.4, 3.3),  # REC-02
        (3.7, 3.4, None),  # REC-03
        (2.7, 2.5, 2.3),  # REC-04  modest gap
        (3.3, 3.6, 3.3),  # ONB-01
        (3.7, 3.4, 3.7),  # ONB-02
        (2.3, 3.6, 3.3),  # ONB-03  hidden strength
        (3.3, 3.4, 3.7),  # ONB-04
        (3.3, 3.2, 3.3),  # ECO-01
        (2.7, 2.4, None),  # ECO-02  modest gap
        (3.3, 3.4, 3.0),  # ECO-03
        (3.7, 3.6, 3.3),  # ECO-04
        (3.7, 3.6, 3.3),  # PERF-01
        (2.3, 3.6, 3.3),  # PERF-02  hidden strength
        (3.3, 3.4, 3.7),  # PERF-03
        (3.0, 3.0, 2.7),  # PERF-04
        (4.0, 3.6, 3.3),  # ORG-01
        (3.3, 3.2, 3.3),  # ORG-02
        (3.3, 3.4, None),  # ORG-03
        (3.7, 3.4, 3.3),  # ORG-04
    ),
    metrics=[
        ("time_to_first_deal_days", "74", "2026-05-31", "document"),
        ("partner_activation_rate", "63", "2026-05-31", "document"),
        ("partners_assessed_against_profile", "86", "2026-05-31", "document"),
        ("partner_churn_rate", "7.5", "2026-03-31", "document"),
        ("deals_with_partner_attribution", "92", "2026-05-31", "document"),
        ("business_review_coverage", "78", "2026-05-31", "document"),
        ("active_partners_per_manager", "22", "2026-05-31", "document"),
        ("channel_conflict_escalations_per_quarter", "1", "2026-03-31", "document"),
    ],
    evidence_high=0.65,
)

ALPINE = Profile(
    meta={
        "id": "alpine-2026-10",
        "client": "Alpine Machine Intelligence AG",
        "assessed_on": "2026-10-08",
        "industry": "manufacturing-tech",
        "stage": "growth",
        "analyst": "Lena Hartmann",
    },
    stakeholders=[
        Stakeholder("AL-01", "founder", "Katrin Imboden", "Executive"),
        Stakeholder("AL-02", "cro", "Stefan Gisler", "Revenue"),
        Stakeholder("AL-03", "partner_manager", "Sandro Bernasconi", "Partnerships"),
        Stakeholder("AL-04", "sales", "Nadja Kälin", "Sales Europe", source="survey"),
        Stakeholder(
            "AL-05", "product", "Lukas Oberholzer", "Product Management", source="workshop"
        ),
        Stakeholder(
            "AL-06", "partner", "Élodie Marchand", "Automation Lead, Rhône Systèmes Industriels"
        ),
        Stakeholder(
            "AL-07", "partner", "Matthias Brunner", "Managing Partner, Brunner Automation GmbH"
        ),
        Stakeholder("AL-08", "partner", "Giulia Ferraro", "Sales Manager, Ferraro Impianti S.r.l."),
        Stakeholder(
            "AL-09", "partner", "Andreas Huber", "Head of Services, Limmat Engineering Zürich"
        ),
        Stakeholder("AL-10", "partner", "Petra Novák", "Owner, Morava Digital s.r.o."),
    ],
    targets=T(
        (3.0, 2.3, 2.0),  # FIT-01
        (3.0, 2.7, 2.4),  # FIT-02
        (2.5, 2.3, None),  # FIT-03
        (3.0, 2.7, 2.6),  # FIT-04  (+ churn metric)
        (2.0, 2.7, 2.4),  # REC-01
        (3.0, 2.7, 2.2),  # REC-02  (+ assessed metric)
        (2.5, 2.5, None),  # REC-03
        (3.0, 2.7, 2.4),  # REC-04
        (3.0, 2.7, 2.2),  # ONB-01
        (3.5, 3.0, 2.6),  # ONB-02
        (3.0, 3.0, 2.8),  # ONB-03  (+ time-to-first-deal metric)
        (3.0, 2.3, 2.0),  # ONB-04  (+ activation metric)
        (3.0, 2.7, 2.4),  # ECO-01
        (None, None, None),  # ECO-02  nobody can judge
        (3.0, 2.3, 2.0),  # ECO-03
        (2.5, 2.0, 1.6),  # ECO-04
        (3.0, 3.0, 2.8),  # PERF-01
        (3.0, 2.7, 2.2),  # PERF-02  (+ attribution metric)
        (2.5, 2.7, 2.4),  # PERF-03
        (None, None, None),  # PERF-04  not covered in any interview
        (3.5, 3.3, 3.0),  # ORG-01
        (3.0, 2.3, 2.2),  # ORG-02
        (3.0, 2.7, None),  # ORG-03  (+ partners per manager metric)
        (2.5, 2.7, 2.0),  # ORG-04
    ),
    metrics=[
        ("time_to_first_deal_days", "150", "2026-09-30", "document"),
        ("partner_activation_rate", "34", "2026-09-30", "document"),
        ("partners_assessed_against_profile", "30", "2026-09-30", "document"),
        ("partner_churn_rate", "18.2", "2026-06-30", "document"),
        ("deals_with_partner_attribution", "55", "2026-09-30", "document"),
        ("active_partners_per_manager", "42", "2026-09-30", "document"),
    ],
    blank_rate=0.05,
    unrated=("PERF-04",),
    overrides={
        ("AL-07", "ECO-04"): (
            1,
            '=HYPERLINK("https://example.com/deal","see deal") is the link I sent '
            "them when I registered the Keller Pumpen deal. Two weeks later their "
            "direct rep closed it himself.",
            "interview",
        ),
        ("AL-06", "ORG-04"): (
            2,
            "Their deal registration form accepts anything. As a test I typed "
            "<script>alert('pwned')</script> into the notes field and it came back "
            "in the confirmation email as is; half the process still runs by email "
            "anyway.",
            "interview",
        ),
        ("AL-04", "ECO-03"): (
            2,
            "-20% off list for every partner, whether they bring the deal or only "
            "place the order. That rewards the wrong behaviour.",
            "survey",
        ),
        ("AL-04", "ONB-01"): (
            2,
            "@Sandro in the partner channel is the whole onboarding process. When "
            "he's on holiday, new partners wait.",
            "survey",
        ),
        ("AL-03", "ORG-02"): (
            2,
            'Sales calls it "partner-first", but the comp plan says otherwise: a '
            "partner-sourced deal pays the account executive half.",
            "interview",
        ),
        ("AL-08", "ONB-04"): (
            2,
            "The first call after signing was great.\nAfter that, nothing for six "
            "weeks, until we asked for help with a tender.",
            "interview",
        ),
        ("AL-09", "FIT-01"): (
            2,
            "The décision to sign our Zürich office was taken over one dinner with "
            "the founder — we never saw any written criteria.",
            "interview",
        ),
        ("AL-06", "ONB-02"): (
            2,
            "The training exists in German only; for our engineers in Lyon that "
            "means « débrouillez-vous », figure it out yourselves.",
            "interview",
        ),
        ("AL-10", "ECO-02"): (
            None,
            "Can't judge what the channel costs them, and nobody there could tell me either.",
            "interview",
        ),
        ("AL-02", "ECO-02"): (
            None,
            "Honestly, I can't put a number on it; partner costs sit in three different budgets.",
            "interview",
        ),
        ("AL-05", "ECO-02"): (None, "", "workshop"),
    },
)

HARBOR = Profile(
    meta={
        "id": "harbor-2026-11",
        "client": "Harborline Logistics Software Ltd",
        "assessed_on": "2026-11-19",
        "industry": "logistics-software",
        "stage": "mid-market",
        "analyst": "Jonas Keller",
    },
    stakeholders=[
        Stakeholder("HB-01", "ceo", "Eleanor Brightmore", "Executive"),
        Stakeholder("HB-02", "head_of_partnerships", "Callum Redfern", "Partnerships"),
        Stakeholder("HB-03", "channel_manager", "Niamh Gallagher", "Channel"),
        Stakeholder("HB-04", "sales_ops", "Oliver Pennington", "Sales Operations"),
        Stakeholder("HB-05", "marketing", "Zara Whitfield", "Marketing"),
        Stakeholder(
            "HB-06",
            "partner",
            "Rafael Monteiro",
            "Director, Tidewater Freight Consulting",
            perspective="partner",
        ),
        Stakeholder(
            "HB-07",
            "partner",
            "Ingrid Solberg",
            "Partner, Fjordline Systems",
            perspective="partner",
        ),
    ],
    targets=T(
        (3.5, 2.5, 2.0),  # FIT-01
        (3.0, 2.5, 2.5),  # FIT-02
        (3.0, 2.5, 2.0),  # FIT-03
        (2.5, 2.5, 2.0),  # FIT-04
        (2.5, 2.5, 2.5),  # REC-01
        (3.0, 2.5, 2.0),  # REC-02
        (3.0, 3.0, None),  # REC-03
        (3.0, 2.5, 2.5),  # REC-04
        (3.0, 3.0, 3.0),  # ONB-01
        (3.5, 3.0, 2.5),  # ONB-02
        (2.5, 2.5, 2.5),  # ONB-03
        (3.0, 3.0, 2.5),  # ONB-04
        (3.0, 2.5, 2.5),  # ECO-01
        (2.5, 2.5, None),  # ECO-02
        (3.0, 3.0, 2.5),  # ECO-03
        (3.0, 2.5, 2.0),  # ECO-04
        (3.0, 3.0, 2.5),  # PERF-01
        (3.0, 2.5, 2.5),  # PERF-02
        (3.0, 2.5, 2.0),  # PERF-03
        (2.5, 2.0, 2.0),  # PERF-04
        (3.5, 3.0, 3.0),  # ORG-01
        (3.0, 2.5, 2.5),  # ORG-02
        (3.0, 3.0, None),  # ORG-03
        (3.0, 3.0, 2.5),  # ORG-04
    ),
    metrics=[
        ("partner_activation_rate", "42", "2026-10-31", "document"),
        ("partner_churn_rate", "22", "2026-09-30", "document"),
        ("business_review_coverage", "45", "2026-10-31", "document"),
        ("channel_conflict_escalations_per_quarter", "4", "2026-09-30", "document"),
    ],
    blank_rate=0.03,
)
# Signals whose evidence the harbor survey export carries.
HARBOR_EVIDENCE_SIGNALS = ("FIT-01", "REC-02", "ONB-01", "ECO-04", "PERF-03", "ORG-03")


# ---------------------------------------------------------------------------
# Rating generation
# ---------------------------------------------------------------------------


def spread(rng: random.Random, target: float, n: int, noise: float) -> list[int]:
    """n ratings whose mean is close to `target`: a mix of its floor and ceiling,
    with the occasional +-1 outlier."""
    low = math.floor(target)
    high_count = round((target - low) * n)
    values = [low + 1] * high_count + [low] * (n - high_count)
    rng.shuffle(values)
    out = []
    for v in values:
        if rng.random() < noise:
            v += rng.choice((-1, 1))
        out.append(min(4, max(1, v)))
    return out


def generate_rows(profile: Profile) -> list[dict]:
    """Rating rows (dicts with stakeholder_id, signal_id, rating, evidence, source)
    in stakeholder order, then catalogue order."""
    rng = random.Random(f"{SEED}:{profile.meta['id']}")
    people = profile.stakeholders
    # Which stakeholder answers which signal: each leaves a few out.
    answers: dict[str, set[str]] = {}
    for st in people:
        candidates = [s for s in SIGNALS if s not in profile.unrated]
        skipped = set(rng.sample(candidates, rng.randint(*profile.skips)))
        answers[st.sid] = {s for s in candidates if s not in skipped}

    cells: dict[tuple[str, str], int | None] = {}
    for signal in SIGNALS:
        if signal in profile.unrated:
            continue
        targets = dict(zip(("strategic", "operational", "partner"), profile.targets[signal]))
        for perspective, target in targets.items():
            group = [
                st for st in people if st.effective == perspective and signal in answers[st.sid]
            ]
            if target is None:
                # cannot judge: some say so (blank row), the others leave it out
                for st in group:
                    if rng.random() < 0.5:
                        cells[(st.sid, signal)] = None
                continue
            raters = []
            for st in group:
                if rng.random() < profile.blank_rate:
                    cells[(st.sid, signal)] = None
                else:
                    raters.append(st)
            for st, value in zip(raters, spread(rng, target, len(raters), profile.noise)):
                cells[(st.sid, signal)] = value

    for (sid, signal), (rating, _text, _source) in profile.overrides.items():
        cells[(sid, signal)] = rating

    used: set[str] = set()
    rows = []
    for st in people:
        for signal in SIGNALS:
            if (st.sid, signal) not in cells:
                continue
            rating = cells[(st.sid, signal)]
            source = st.source if rng.random() > 0.05 else ""
            if (st.sid, signal) in profile.overrides:
                _r, text, source = profile.overrides[(st.sid, signal)]
                used.add(text)
            elif rating is None:
                text = cannot_judge(rng, signal, used) if rng.random() < 0.5 else ""
            else:
                share = profile.evidence_low if rating <= 2 else profile.evidence_high
                text = (
                    compose(rng, signal, rating, st.effective, used) if rng.random() < share else ""
                )
            rows.append(
                {
                    "stakeholder_id": st.sid,
                    "signal_id": signal,
                    "rating": "" if rating is None else str(rating),
                    "evidence": text,
                    "source": source,
                }
            )
    return rows


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._,&()/-]*$")


def yaml_scalar(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value  # an ISO date, read as a date
    if _PLAIN.match(value) and value.lower() not in {
        "yes",
        "no",
        "true",
        "false",
        "null",
        "on",
        "off",
    }:
        return value
    return "'" + value.replace("'", "''") + "'"


def engagement_fields(profile: Profile) -> list[tuple[str, str]]:
    meta = profile.meta
    keys = ("id", "client", "assessed_on", "industry", "stage", "analyst")
    return [(k, meta[k]) for k in keys] + [("rulebook", RULEBOOK)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_folder(profile: Profile, out: Path) -> list[Path]:
    folder = out / profile.meta["id"]
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    path = folder / "engagement.yaml"
    lines = [
        "# Synthetic demo engagement generated by data/generate_demo.py; all names are fictional."
    ]
    lines += [f"{k}: {yaml_scalar(v)}" for k, v in engagement_fields(profile)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    written.append(path)

    path = folder / "stakeholders.csv"
    write_csv(
        path,
        ["stakeholder_id", "role", "perspective", "function", "name"],
        [[s.sid, s.role, s.perspective, s.function, s.name] for s in profile.stakeholders],
    )
    written.append(path)

    path = folder / "ratings.csv"
    cols = ["stakeholder_id", "signal_id", "rating", "evidence", "source"]
    write_csv(path, cols, [[r[c] for c in cols] for r in generate_rows(profile)])
    written.append(path)

    path = folder / "metrics.csv"
    if profile.metrics:
        write_csv(
            path, ["metric_id", "value", "as_of", "source"], [list(m) for m in profile.metrics]
        )
        written.append(path)
    elif path.exists():
        path.unlink()
    return written


def number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def write_workbook(profile: Profile, out: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "engagement"
    ws.append(["key", "value"])
    for key, value in engagement_fields(profile):
        ws.append([key, value])

    ws = wb.create_sheet("ratings")
    header = ["stakeholder_id", "role", "perspective"]
    for signal in SIGNALS:
        header.append(signal)
        if signal in HARBOR_EVIDENCE_SIGNALS:
            header.append(f"{signal}_evidence")
    ws.append(header)
    by_person: dict[str, dict[str, dict]] = {}
    for row in generate_rows(profile):
        by_person.setdefault(row["stakeholder_id"], {})[row["signal_id"]] = row
    for st in profile.stakeholders:
        mine = by_person.get(st.sid, {})
        line: list = [st.sid, st.role, st.perspective or None]
        for signal in SIGNALS:
            row = mine.get(signal)
            line.append(int(row["rating"]) if row and row["rating"] else None)
            if signal in HARBOR_EVIDENCE_SIGNALS:
                line.append(row["evidence"] if row and row["evidence"] else None)
        ws.append(line)

    ws = wb.create_sheet("metrics")
    ws.append(["metric_id", "value", "as_of", "source"])
    for metric_id, value, as_of, source in profile.metrics:
        ws.append([metric_id, number(value), as_of, source])

    wb.properties.creator = "PAOS demo generator"
    wb.properties.lastModifiedBy = "PAOS demo generator"
    wb.properties.title = f"PAOS demo engagement {profile.meta['id']} (synthetic)"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    # openpyxl's save_workbook stamps the current time into the properties
    # and the zip entries; write through ExcelWriter, then re-pack the archive
    # with fixed entry timestamps so the bytes are reproducible.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    path = out / f"{profile.meta['id']}.xlsx"
    packed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(packed.getvalue())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the synthetic PAOS demo engagements.")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "engagements",
        help="output folder (default: data/engagements next to this script)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for profile in (NORTHWIND, MERIDIAN, ALPINE):
        written += write_folder(profile, out)
    written.append(write_workbook(HARBOR, out))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
