namespace StrategicAgent.Data.DemoData;

/// <summary>A team: how fast it works (lead-time divisor), how often its changes fail, how often it deploys.</summary>
internal sealed record TeamSpec(string Name, double Speed, double ChangeFailRate, double DeploysPerDay, bool Active = true);

/// <summary>A repository and its own rework tendency (added to the rework log-odds).</summary>
internal sealed record RepoSpec(string Name, double ReworkBias, bool Active = true);

/// <summary>A project owned by one team, with the repositories its pull requests go to.</summary>
internal sealed record ProjectSpec(string Key, string Name, string Team, RepoSpec[] Repos, bool Active = true);

internal sealed record TenantSpec(long Id, string Name, string Org, TeamSpec[] Teams, ProjectSpec[] Projects, string[] Objects, bool Active = true);

/// <summary>Scale knobs of one size.</summary>
internal sealed record SizeSpec(int Tenants, int EpicsPerProject, int UsersPerTeam);

/// <summary>
/// The fixed cast: tenants, teams, projects and repositories, plus the word lists text is made
/// from. Tenants 1–3 are the ones tests name; larger sizes add tenants 4–8; client 9 is the
/// inactive one in every size.
/// </summary>
internal static class DemoCatalog
{
    public const long InactiveClientId = 9;

    /// <summary>Days of history before the reference date.</summary>
    public const int HistoryDays = 730;

    public static SizeSpec For(DemoDataSize size) => size switch
    {
        DemoDataSize.Small => new SizeSpec(Tenants: 3, EpicsPerProject: 190, UsersPerTeam: 8),
        DemoDataSize.Medium => new SizeSpec(Tenants: 5, EpicsPerProject: 760, UsersPerTeam: 14),
        DemoDataSize.Large => new SizeSpec(Tenants: 8, EpicsPerProject: 2450, UsersPerTeam: 30),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Unknown demo-data size."),
    };

    public static IReadOnlyList<TenantSpec> Tenants(DemoDataSize size)
    {
        var spec = For(size);
        var list = All.Take(spec.Tenants).ToList();
        list.Add(Inactive);
        return list;
    }

    private static readonly TenantSpec[] All =
    [
        new(1, "Acme Payments", "acme",
            [
                new("Platform", 1.35, 0.06, 1.6),
                new("Payments", 1.0, 0.12, 0.9),
                new("Mobile", 0.7, 0.22, 0.25),
                new("Data", 0.9, 0.15, 0.5),
                new("Growth", 1.0, 0.10, 0.5, Active: false),
            ],
            [
                new("PAY", "Payments", "Payments", [new("payments-service", 0.45), new("ledger-service", 0.2)]),
                new("API", "Public API", "Platform", [new("api-gateway", -0.35), new("infra-config", -0.6)]),
                new("MOB", "Mobile App", "Mobile", [new("mobile-app", 0.3)]),
                new("DATA", "Data Platform", "Data", [new("data-pipeline", 0.1)]),
                new("LEG", "Legacy Billing", "Payments", [new("legacy-billing", 0.8, Active: false)], Active: false),
            ],
            ["checkout page", "payment webhook", "refund flow", "ledger service", "card tokenization", "invoice PDF",
             "merchant dashboard", "payout scheduler", "fraud rules engine", "API rate limiter", "auth middleware",
             "mobile login screen", "push notifications", "transaction export", "settlement report", "ETL job",
             "data warehouse sync", "currency conversion", "3-D Secure challenge", "subscription billing",
             "dispute handling", "KYC onboarding", "API key management", "webhook retries", "reconciliation job"]),
        new(2, "Globex Logistics", "globex",
            [
                new("Routing", 1.2, 0.08, 1.2),
                new("Warehouse", 0.85, 0.16, 0.6),
                new("Fleet", 1.0, 0.11, 0.7),
                new("Integrations", 0.75, 0.20, 0.35),
                new("Ops Tooling", 1.0, 0.10, 0.5, Active: false),
            ],
            [
                new("SHIP", "Shipping", "Routing", [new("shipping-api", -0.1), new("route-optimizer", 0.35)]),
                new("WMS", "Warehouse Management", "Warehouse", [new("wms-core", 0.25)]),
                new("FLT", "Fleet Tracking", "Fleet", [new("fleet-tracker", 0.0)]),
                new("INT", "Partner Integrations", "Integrations", [new("partner-connectors", 0.5)]),
                new("EDI", "EDI Gateway", "Integrations", [new("edi-gateway", 0.7, Active: false)], Active: false),
            ],
            ["shipment tracking page", "label printing", "route planner", "carrier rate lookup", "pick list",
             "inventory sync", "dock scheduling", "driver app", "GPS ingestion", "delivery ETA", "customs forms",
             "partner webhook", "EDI parser", "returns portal", "warehouse slotting", "barcode scanner flow",
             "fleet maintenance log", "proof of delivery", "billing export", "SLA report", "geofencing alerts"]),
        new(3, "Initech Health", "initech",
            [
                new("Clinical", 0.8, 0.10, 0.4),
                new("Lab Systems", 1.1, 0.09, 0.6),
                new("Patient Portal", 1.25, 0.14, 1.0),
                new("Interop", 0.7, 0.18, 0.3),
                new("QA Automation", 1.0, 0.10, 0.5, Active: false),
            ],
            [
                new("EHR", "Electronic Health Record", "Clinical", [new("ehr-core", 0.3)]),
                new("LAB", "Laboratory", "Lab Systems", [new("lab-results", 0.0)]),
                new("PORT", "Patient Portal", "Patient Portal", [new("patient-portal", -0.2), new("appointments-ui", -0.1)]),
                new("FHIR", "FHIR Interoperability", "Interop", [new("fhir-bridge", 0.55)]),
                new("RX", "Prescriptions (legacy)", "Clinical", [new("rx-legacy", 0.8, Active: false)], Active: false),
            ],
            ["patient chart", "medication list", "lab order form", "result viewer", "appointment booking",
             "consent forms", "audit trail", "HL7 listener", "FHIR endpoint", "allergy alerts", "discharge summary",
             "insurance eligibility check", "patient messaging", "e-prescribing", "vitals dashboard",
             "referral workflow", "specimen tracking", "billing codes", "telehealth session", "clinical notes editor"]),
        Generic(4, "Umbrella Retail", "umbrella", ["STORE", "CART", "POS", "LOYAL"], ["Storefront", "Cart", "Point of Sale", "Loyalty"]),
        Generic(5, "Soylent Foods", "soylent", ["ORD", "SUP", "QC", "PLAN"], ["Ordering", "Supply", "Quality Control", "Planning"]),
        Generic(6, "Stark Energy", "stark", ["GRID", "METER", "TRADE", "FIELD"], ["Grid", "Metering", "Trading", "Field Ops"]),
        Generic(7, "Wayne Media", "wayne", ["CMS", "VID", "ADS", "SUBS"], ["Content", "Video", "Advertising", "Subscriptions"]),
        Generic(8, "Tyrell Robotics", "tyrell", ["FW", "SIM", "FLEET", "VIS"], ["Firmware", "Simulation", "Fleet", "Vision"]),
    ];

    private static readonly TenantSpec Inactive = new(InactiveClientId, "Hooli Archive", "hooli",
        [new("Core", 0.9, 0.15, 0.3), new("Legacy", 0.8, 0.2, 0.2, Active: false)],
        [new("HOO", "Hooli Core", "Core", [new("hooli-core", 0.4, Active: false)], Active: false)],
        ["search box", "user profile", "settings page", "email digest", "admin console", "report builder"],
        Active: false);

    private static TenantSpec Generic(long id, string name, string org, string[] keys, string[] names)
    {
        double[] speeds = [1.3, 1.0, 0.75, 0.9];
        double[] cfr = [0.07, 0.12, 0.2, 0.15];
        double[] deploys = [1.4, 0.8, 0.3, 0.5];
        var teams = names.Select((n, i) => new TeamSpec(n, speeds[i], cfr[i], deploys[i])).Append(new TeamSpec("Tiger Team", 1.0, 0.1, 0.5, Active: false)).ToArray();
        var projects = keys.Select((k, i) => new ProjectSpec(k, names[i], names[i],
            [new RepoSpec(names[i].ToLowerInvariant().Replace(' ', '-') + "-service", (i - 1.5) * 0.25)])).ToArray();
        return new TenantSpec(id, name, org, teams, projects,
            ["product page", "search service", "order history", "admin console", "reporting job", "notification service",
             "user settings", "import pipeline", "billing module", "audit log", "permissions model", "sync worker",
             "public API", "onboarding flow", "dashboard widgets", "export to CSV", "scheduler", "cache layer"]);
    }

    public static readonly string[] FirstNames =
    [
        "Alice", "Bob", "Carla", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Keiko", "Liam",
        "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Victor", "Wen", "Ximena",
        "Yusuf", "Zoe", "Anders", "Bea", "Chidi", "Dana", "Elif", "Femi", "Gita", "Hugo", "Ivana", "Jamal",
    ];

    public static readonly string[] LastNames =
    [
        "Andersen", "Baptiste", "Chen", "Dubois", "Eriksen", "Fernandes", "Garcia", "Haddad", "Ivanova", "Jensen",
        "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
        "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zimmermann", "Novak", "Silva", "Murphy", "Kim",
    ];

    /// <summary>Workflow names and the category each maps to; tenants 2 and 3 add their own.</summary>
    public static IReadOnlyList<(string From, string To, bool Active)> StatusMappings(long tenantId)
    {
        var list = new List<(string, string, bool)>
        {
            ("Open", "To Do", true),
            ("Backlog", "To Do", true),
            ("Selected for Development", "To Do", true),
            ("In Progress", "In Progress", true),
            ("In Review", "In Progress", true),
            ("QA", "In Progress", true),
            ("Closed", "Done", true),
            ("Resolved", "Done", true),
            ("Done", "Done", true),
            ("Won't Do", "Done", true),
            // Retired workflow step: mapped but inactive, no issue uses it.
            ("Triage", "To Do", false),
        };
        if (tenantId % 2 == 0)
        {
            list.Add(("Blocked", "In Progress", true));
        }
        if (tenantId % 3 == 0)
        {
            list.Add(("Ready for QA", "In Progress", true));
        }
        return list;
    }

    public static readonly string[] IssueTypes = ["Epic", "Story", "Task", "Bug", "Sub-task"];
}
