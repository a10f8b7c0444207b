"""The words of the demo organisation: teams, names, objective and key result templates.

A key result template is `(title, kind, start, target, unit)`; a decreasing metric has
`target < start`. Titles read like the OKRs real teams write.
"""

from __future__ import annotations

from dataclasses import dataclass

KrTemplate = tuple[str, str, float, float, str | None]


@dataclass(frozen=True)
class ObjectiveTemplate:
    title: str
    key_results: tuple[KrTemplate, ...]


COMPANY_NAME = "Northwind Labs"
EMAIL_DOMAIN = "northwind.example"
EXECUTIVES = ("Helena Marsh", "Tomas Lindqvist")  # CEO and COO, members of the company team

TEAM_NAMES = (
    "Engineering", "Sales", "Marketing", "Customer Success", "Finance", "People",
    "Product", "Operations", "Data", "Legal",
)

FIRST_NAMES = (
    "Amara", "Ben", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ivan", "Jonas",
    "Keiko", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Carmen", "Diego",
    "Emma", "Felix", "Greta", "Hugo", "Ines", "Jakob", "Kofi", "Lucia", "Malik", "Noor",
)
LAST_NAMES = (
    "Abebe", "Bergström", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
    "Ivanova", "Jansen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer",
)

COMPANY_OBJECTIVES = (
    ObjectiveTemplate("Become the default choice for mid-market teams", (
        ("Grow annual recurring revenue", "numeric", 12.0, 15.5, "M EUR"),
        ("Raise net revenue retention", "numeric", 104, 112, "%"),
        ("Win new logos", "numeric", 0, 45, "logos"),
        ("Cut sales cycle length", "numeric", 64, 45, "days"),
    )),
    ObjectiveTemplate("Delight customers at every touchpoint", (
        ("Lift NPS", "numeric", 31, 45, "NPS"),
        ("Reduce monthly logo churn", "numeric", 2.4, 1.6, "%"),
        ("Launch the customer community", "binary", 0, 1, None),
        ("Answer tickets within 4 hours", "percentage", 0, 100, "% of tickets"),
    )),
    ObjectiveTemplate("Build an efficient, sustainable company", (
        ("Reach gross margin", "numeric", 68, 74, "%"),
        ("Cut cloud cost per customer", "numeric", 41, 32, "EUR"),
        ("Extend cash runway", "numeric", 22, 28, "months"),
    )),
    ObjectiveTemplate("Make Northwind a great place to work", (
        ("Raise employee NPS", "numeric", 18, 32, "eNPS"),
        ("Lower regretted attrition", "numeric", 11, 7, "%"),
        ("Managers through leadership training", "percentage", 0, 100, "%"),
    )),
    ObjectiveTemplate("Ship a platform customers build on", (
        ("Customers using the public API", "numeric", 120, 420, "customers"),
        ("Publish the partner marketplace", "binary", 0, 1, None),
        ("Integrations built by partners", "numeric", 3, 20, "integrations"),
    )),
)

TEAM_OBJECTIVES: dict[str, tuple[ObjectiveTemplate, ...]] = {
    "Engineering": (
        ObjectiveTemplate("Make the platform boringly reliable", (
            ("Monthly uptime", "numeric", 99.5, 99.95, "%"),
            ("p95 API latency", "numeric", 820, 350, "ms"),
            ("Sev-1 incidents per quarter", "numeric", 6, 1, "incidents"),
            ("Services with on-call runbooks", "percentage", 0, 100, "%"),
        )),
        ObjectiveTemplate("Ship the v3 workflow engine", (
            ("Workflow engine v3 in general availability", "binary", 0, 1, None),
            ("Customers migrated to v3", "numeric", 0, 150, "customers"),
            ("Workflow runs per day on v3", "numeric", 0, 50000, "runs"),
            ("Legacy engine code removed", "percentage", 0, 100, "%"),
        )),
        ObjectiveTemplate("Deliver faster with confidence", (
            ("Median lead time for changes", "numeric", 9, 3, "days"),
            ("Deploys per week", "numeric", 12, 35, "deploys"),
            ("Flaky tests in the main suite", "numeric", 48, 5, "tests"),
            ("Change failure rate", "numeric", 14, 7, "%"),
        )),
    ),
    "Sales": (
        ObjectiveTemplate("Build a predictable pipeline", (
            ("Qualified pipeline created", "numeric", 0, 4.2, "M EUR"),
            ("Forecast accuracy", "numeric", 72, 90, "%"),
            ("Deals with a mutual action plan", "percentage", 0, 100, "%"),
        )),
        ObjectiveTemplate("Land lighthouse enterprise accounts", (
            ("Enterprise deals closed", "numeric", 0, 6, "deals"),
            ("Average enterprise deal size", "numeric", 48, 70, "k EUR"),
            ("Security review pack published", "binary", 0, 1, None),
            ("Reference customers signed up", "numeric", 0, 4, "references"),
        )),
        ObjectiveTemplate("Ramp new account executives quickly", (
            ("Days to first closed deal", "numeric", 120, 75, "days"),
            ("Certification completed by new AEs", "percentage", 0, 100, "%"),
            ("Calls shadowed per new AE", "numeric", 0, 20, "calls"),
        )),
    ),
    "Marketing": (
        ObjectiveTemplate("Generate qualified demand", (
            ("Marketing-qualified leads", "numeric", 0, 1800, "leads"),
            ("Lead-to-opportunity conversion", "numeric", 6, 11, "%"),
            ("Cost per qualified lead", "numeric", 140, 95, "EUR"),
            ("Webinar attendees", "numeric", 0, 2500, "attendees"),
        )),
        ObjectiveTemplate("Launch the brand refresh", (
            ("New website live", "binary", 0, 1, None),
            ("Organic traffic", "numeric", 42000, 60000, "visits/month"),
            ("Sales decks on the new brand", "percentage", 0, 100, "%"),
        )),
        ObjectiveTemplate("Own the workflow automation conversation", (
            ("Analyst briefings held", "numeric", 0, 8, "briefings"),
            ("Share of voice in category", "numeric", 9, 15, "%"),
            ("Customer stories published", "numeric", 0, 10, "stories"),
        )),
    ),
    "Customer Success": (
        ObjectiveTemplate("Cut time to value for new customers", (
            ("Median days to first workflow live", "numeric", 21, 7, "days"),
            ("Onboarding checklist completion", "percentage", 0, 100, "%"),
            ("Self-serve onboarding launched", "binary", 0, 1, None),
        )),
        ObjectiveTemplate("Protect and grow the installed base", (
            ("Gross revenue retention", "numeric", 91, 95, "%"),
            ("Accounts with an executive sponsor", "percentage", 0, 100, "%"),
            ("Expansion revenue", "numeric", 0, 900, "k EUR"),
            ("At-risk accounts", "numeric", 38, 15, "accounts"),
        )),
        ObjectiveTemplate("Make support effortless", (
            ("First response time", "numeric", 7.5, 2, "hours"),
            ("Customer effort score", "numeric", 4.1, 5.5, "CES"),
            ("Tickets deflected by help center", "numeric", 12, 30, "%"),
        )),
    ),
    "Finance": (
        ObjectiveTemplate("Close the books faster", (
            ("Working days to month-end close", "numeric", 9, 4, "days"),
            ("Automated bank reconciliation", "percentage", 0, 100, "%"),
            ("Audit findings open", "numeric", 7, 0, "findings"),
        )),
        ObjectiveTemplate("Give every budget owner live numbers", (
            ("Budget owners using the dashboard", "percentage", 0, 100, "%"),
            ("Forecast variance", "numeric", 12, 5, "%"),
            ("FY2027 plan approved by the board", "binary", 0, 1, None),
        )),
    ),
    "People": (
        ObjectiveTemplate("Hire the best people, fast", (
            ("Offers accepted", "numeric", 0, 24, "hires"),
            ("Median days to hire", "numeric", 52, 35, "days"),
            ("Candidate experience score", "numeric", 3.9, 4.6, "/5"),
        )),
        ObjectiveTemplate("Grow great managers", (
            ("Managers with a development plan", "percentage", 0, 100, "%"),
            ("Manager effectiveness score", "numeric", 68, 80, "points"),
            ("Career framework published", "binary", 0, 1, None),
        )),
    ),
    "Product": (
        ObjectiveTemplate("Find the next growth bet", (
            ("Customer discovery interviews", "numeric", 0, 40, "interviews"),
            ("Prototype tests with customers", "numeric", 0, 12, "tests"),
            ("Bet memo approved", "binary", 0, 1, None),
        )),
        ObjectiveTemplate("Make the product easy to adopt", (
            ("Weekly active users", "numeric", 8200, 12000, "users"),
            ("Activation rate", "numeric", 34, 50, "%"),
            ("Time to first automation", "numeric", 46, 15, "minutes"),
        )),
    ),
    "Operations": (
        ObjectiveTemplate("Run a tight operating rhythm", (
            ("Teams on weekly check-ins", "percentage", 0, 100, "%"),
            ("Vendor contracts renegotiated", "numeric", 0, 12, "contracts"),
            ("Procurement cycle time", "numeric", 18, 8, "days"),
        )),
    ),
    "Data": (
        ObjectiveTemplate("Trustworthy metrics for every team", (
            ("Certified dashboards", "numeric", 4, 25, "dashboards"),
            ("Data freshness SLA met", "percentage", 0, 100, "%"),
            ("Metric definitions documented", "numeric", 20, 120, "metrics"),
        )),
    ),
    "Legal": (
        ObjectiveTemplate("Contract without friction", (
            ("Median contract turnaround", "numeric", 12, 5, "days"),
            ("Self-serve NDA launched", "binary", 0, 1, None),
            ("SOC 2 Type II report issued", "binary", 0, 1, None),
        )),
    ),
}

PERSON_OBJECTIVES = (
    ObjectiveTemplate("Level up in my craft", (
        ("Courses completed", "numeric", 0, 3, "courses"),
        ("Talks or write-ups shared", "numeric", 0, 2, "talks"),
        ("Mentoring sessions given", "numeric", 0, 10, "sessions"),
    )),
    ObjectiveTemplate("Own one improvement end to end", (
        ("Proposal reviewed and accepted", "binary", 0, 1, None),
        ("Rollout completed", "percentage", 0, 100, "%"),
        ("Hours saved per week for the team", "numeric", 0, 10, "hours"),
    )),
    ObjectiveTemplate("Make my customers successful", (
        ("Customer check-ins held", "numeric", 0, 24, "meetings"),
        ("Open escalations", "numeric", 6, 1, "escalations"),
        ("Renewals secured", "percentage", 0, 100, "%"),
    )),
    ObjectiveTemplate("Automate the boring parts of my week", (
        ("Manual reports retired", "numeric", 0, 5, "reports"),
        ("Scripts in the shared toolbox", "numeric", 2, 10, "scripts"),
        ("Time spent on status updates", "numeric", 5, 1, "hours/week"),
    )),
    ObjectiveTemplate("Help new colleagues land well", (
        ("New joiners buddied", "numeric", 0, 3, "people"),
        ("Onboarding guide refreshed", "binary", 0, 1, None),
        ("Onboarding survey score", "numeric", 3.8, 4.6, "/5"),
    )),
)

GENERIC_TEAM_OBJECTIVE = ObjectiveTemplate("Deliver our part of the company plan", (
    ("Milestones delivered on time", "percentage", 0, 100, "%"),
    ("Stakeholder satisfaction", "numeric", 3.5, 4.5, "/5"),
    ("Requests answered within a week", "percentage", 0, 100, "%"),
))
