using StrategicAgent.Seeded;

namespace StrategicAgent.Data.DemoData;

/// <summary>
/// The small tables (clients … repositories) built in memory, and one <see cref="ProjectChunk"/>
/// per project from which the big tables are generated project by project.
/// </summary>
internal sealed class DemoDimensions
{
    public List<ClientRow> Clients { get; } = [];
    public List<TeamRow> Teams { get; } = [];
    public List<UserRow> Users { get; } = [];
    public List<ProjectRow> Projects { get; } = [];
    public List<IssueTypeRow> IssueTypes { get; } = [];
    public List<MappingRow> Mappings { get; } = [];
    public List<StatusRow> Statuses { get; } = [];
    public List<RepoRow> Repos { get; } = [];
    public List<ProjectChunk> Chunks { get; } = [];

    public static DemoDimensions Build(DemoDataOptions options)
    {
        var d = new DemoDimensions();
        var size = DemoCatalog.For(options.Size);
        var asOf = options.AsOf;
        var historyStart = asOf.AddDays(-DemoCatalog.HistoryDays);
        long teamId = 0, userId = 0, projectId = 0, typeId = 0, mappingId = 0, statusId = 0, repoId = 0;

        foreach (var tenant in DemoCatalog.Tenants(options.Size))
        {
            var rng = SeededRandom.Derive(options.Seed, SeededRandom.Label("dimensions"), tenant.Id);
            d.Clients.Add(new ClientRow(tenant.Id, tenant.Name, tenant.Active));

            var typeIds = new long[DemoCatalog.IssueTypes.Length];
            for (var i = 0; i < DemoCatalog.IssueTypes.Length; i++)
            {
                typeIds[i] = ++typeId;
                d.IssueTypes.Add(new IssueTypeRow(typeId, tenant.Id, DemoCatalog.IssueTypes[i]));
            }

            var statusIds = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (from, to, active) in DemoCatalog.StatusMappings(tenant.Id))
            {
                d.Mappings.Add(new MappingRow(++mappingId, tenant.Id, from, to, active));
                d.Statuses.Add(new StatusRow(++statusId, tenant.Id, from, mappingId, active));
                statusIds[from] = statusId;
            }

            var teams = new Dictionary<string, TeamRow>(StringComparer.Ordinal);
            var usersByTeam = new Dictionary<long, List<UserRow>>();
            var tenantUsers = new List<UserRow>();
            var emails = new HashSet<string>(StringComparer.Ordinal);
            foreach (var spec in tenant.Teams)
            {
                var team = new TeamRow(++teamId, tenant.Id, spec.Name, spec.Active && tenant.Active, spec);
                d.Teams.Add(team);
                teams[spec.Name] = team;
                var members = new List<UserRow>();
                var count = team.Active ? size.UsersPerTeam + rng.Next(-2, 3) : 3;
                for (var i = 0; i < count; i++)
                {
                    var user = NewUser(rng, ++userId, tenant, team.Id, i, team.Active, asOf, historyStart, emails);
                    members.Add(user);
                    tenantUsers.Add(user);
                    d.Users.Add(user);
                }
                usersByTeam[team.Id] = members;
            }
            // Managers with no team: real directories have them.
            for (var i = 0; i < 2; i++)
            {
                var user = NewUser(rng, ++userId, tenant, null, 0, tenant.Active, asOf, historyStart, emails);
                tenantUsers.Add(user);
                d.Users.Add(user);
            }

            foreach (var spec in tenant.Projects)
            {
                var team = teams[spec.Team];
                var project = new ProjectRow(++projectId, tenant.Id, spec.Key, spec.Name, team.Id, spec.Active && tenant.Active);
                d.Projects.Add(project);
                var repos = new List<RepoRow>();
                foreach (var r in spec.Repos)
                {
                    var repo = new RepoRow(++repoId, tenant.Id, r.Name, tenant.Org + "/" + r.Name, team.Id, r.Active && project.Active, r);
                    repos.Add(repo);
                    d.Repos.Add(repo);
                }
                var (start, end, epics) = (tenant.Active, project.Active) switch
                {
                    (true, true) => (historyStart, asOf, size.EpicsPerProject),
                    (true, false) => (historyStart, asOf.AddDays(-450), Math.Max(8, size.EpicsPerProject * 8 / 100)),
                    _ => (historyStart, asOf.AddDays(-520), 12),
                };
                d.Chunks.Add(new ProjectChunk
                {
                    Index = d.Chunks.Count,
                    Tenant = tenant,
                    Spec = spec,
                    Project = project,
                    Team = team,
                    TeamUsers = [.. usersByTeam[team.Id]],
                    TenantUsers = [.. tenantUsers],
                    Repos = [.. repos],
                    TypeIds = typeIds,
                    StatusIds = statusIds,
                    WindowStart = start,
                    WindowEnd = end,
                    Epics = epics,
                    AsOf = asOf,
                    Seed = options.Seed,
                });
            }
        }
        return d;
    }

    private static UserRow NewUser(SeededRandom rng, long id, TenantSpec tenant, long? teamId, int indexInTeam, bool teamActive,
        DateTime asOf, DateTime historyStart, HashSet<string> emails)
    {
        var first = rng.Pick(DemoCatalog.FirstNames);
        var last = rng.Pick(DemoCatalog.LastNames);
        var name = first + " " + last;
        var local = (first + "." + last).ToLowerInvariant();
        var email = local + "@" + tenant.Org + ".example";
        for (var n = 2; !emails.Add(email); n++)
        {
            email = local + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + "@" + tenant.Org + ".example";
        }
        // The first two members of a team are long-standing seniors, so every team always has someone to assign.
        var anchor = indexInTeam < 2;
        var seniority = anchor ? rng.Uniform(0.55, 1.0) : rng.NextDouble();
        var joined = historyStart.AddDays(-365);
        if (!anchor && seniority < 0.3 && rng.Chance(0.5))
        {
            joined = asOf.AddDays(-rng.Uniform(30, 420)); // a new hire: junior and recent
        }
        var left = DateTime.MaxValue;
        var active = teamActive && tenant.Active;
        if (!anchor && active && rng.Chance(0.12))
        {
            active = false; // left the company; their old issues and PRs stay
            left = asOf.AddDays(-rng.Uniform(120, 600));
            if (left <= joined)
            {
                left = joined.AddDays(60);
            }
        }
        else if (!active)
        {
            left = tenant.Active ? asOf.AddDays(-rng.Uniform(200, 400)) : asOf.AddDays(-500);
        }
        return new UserRow(id, tenant.Id, teamId, name, rng.Chance(0.04) ? null : email, active, seniority, joined, left);
    }
}
