using StrategicAgent.Seeded;

namespace StrategicAgent.Data.DemoData;

/// <summary>
/// Plans one project's issues, pull requests, deployments and incidents. Pure: the same chunk
/// and id bases give the same plan, so the loader can plan a project again for each table
/// instead of keeping a million issues in memory.
/// </summary>
/// <remarks>
/// The relationships the models are meant to learn, each with noise:
/// <list type="bullet">
/// <item>issue lead time ∝ points^0.9 ÷ (team speed × assignee speed) × log-normal noise, plus review wait;</item>
/// <item>epic duration ≈ Σ child points ÷ (1.6 × team speed), children spread over it; the epic ends when its last child does;</item>
/// <item>PR size grows with points; rework log-odds grow with log(changed files) and additions, shrink with author seniority, shift per repository;</item>
/// <item>deployments per repository at the team's rate, failing at the team's change-fail rate; incidents follow failed deployments far more often than good ones.</item>
/// </list>
/// Dirt: missing points, descriptions and assignees, Won't-Do issues with no lead time, a few
/// absurd lead times and bulk-closed issues, zombie epics, stale open and closed-unmerged PRs,
/// PRs without issue or size, deployments without lead time, incidents without deployment.
/// </remarks>
internal static class ProjectPlanner
{
    private static readonly int[] Fibonacci = [1, 2, 3, 5, 8, 13, 21];
    private static readonly double[] StoryWeights = [6, 14, 22, 26, 18, 9, 5];
    private static readonly double[] TaskWeights = [15, 25, 25, 20, 10, 4, 1];
    private static readonly double[] BugWeights = [25, 30, 22, 14, 6, 2, 1];

    private const double Hour = 3600;
    private const double Day = 86400;

    public static List<PlannedIssue> PlanIssues(ProjectChunk c, long lastId)
    {
        var rng = SeededRandom.Derive(c.Seed, SeededRandom.Label("issues"), c.Tenant.Id, c.Project.Id);
        var issues = new List<PlannedIssue>(c.Epics * 14);
        var seq = 0;
        var windowDays = (c.WindowEnd - c.WindowStart).TotalDays;
        var speed = c.Team.Spec.Speed;
        var childCount = 0;

        for (var e = 0; e < c.Epics; e++)
        {
            // sqrt: the arrival rate grows over the history (a growing company), so the recent past is busiest.
            var epic = new PlannedIssue
            {
                Seq = seq++,
                Kind = IssueKind.Epic,
                Created = Min(c.WindowStart.AddDays(windowDays * Math.Sqrt(rng.NextDouble())), c.WindowEnd.AddHours(-1)),
            };
            var epicStart = epic.Created.AddDays(rng.Exponential(6));
            var n = Math.Clamp((int)Math.Round(rng.LogNormal(Math.Log(9), 0.5)), 2, 40);
            var kinds = new IssueKind[n];
            var points = new int[n];
            var sum = 0;
            for (var i = 0; i < n; i++)
            {
                kinds[i] = rng.Weighted([0.65, 0.2, 0.15]) switch { 0 => IssueKind.Story, 1 => IssueKind.Task, _ => IssueKind.Bug };
                points[i] = DrawPoints(rng, kinds[i]);
                sum += points[i];
            }
            var durationDays = Math.Max(2, sum / (1.6 * speed) * rng.LogNormal(0, 0.25));
            var zombie = epic.Created < c.AsOf.AddDays(-200) && rng.Chance(0.02);
            var missing = false;
            var children = new List<PlannedIssue>(n);
            for (var i = 0; i < n; i++)
            {
                var child = new PlannedIssue { Seq = seq++, Kind = kinds[i], TruePoints = points[i], Parent = epic };
                child.Assignee = PickUser(rng, c.TeamUsers, epicStart);
                var lead = LeadSeconds(rng, child.Kind, child.TruePoints, speed, child.Assignee);
                var offset = i == 0 ? 0 : Math.Pow(rng.NextDouble(), 0.8) * Math.Max(0, durationDays * Day - lead);
                var start = epicStart.AddSeconds(offset);
                child.Created = rng.Chance(0.15)
                    ? epicStart.AddSeconds(rng.NextDouble() * (start - epicStart).TotalSeconds) // scope creep
                    : epic.Created.AddSeconds(rng.NextDouble() * (Min(start, epicStart.AddDays(3)) - epic.Created).TotalSeconds);
                if (zombie && i == n - 1)
                {
                    lead = 3650 * Day; // started and never finished: the epic stays open for ever
                }
                if (!Settle(rng, c, child, start, lead))
                {
                    missing = true; // not created yet at the reference date
                    continue;
                }
                children.Add(child);
                AddSubTasks(rng, c, child, start, lead, issues, ref seq);
            }
            SettleEpic(rng, c, epic, children, missing);
            issues.Add(epic);
            issues.AddRange(children);
            childCount += children.Count;
        }

        // Work outside any epic: mostly bugs and chores.
        var standalone = (int)Math.Round(childCount * 0.12);
        for (var i = 0; i < standalone; i++)
        {
            var kind = rng.Weighted([0.15, 0.35, 0.5]) switch { 0 => IssueKind.Story, 1 => IssueKind.Task, _ => IssueKind.Bug };
            var issue = new PlannedIssue
            {
                Seq = seq++,
                Kind = kind,
                TruePoints = DrawPoints(rng, kind),
                Created = Min(c.WindowStart.AddDays(windowDays * Math.Sqrt(rng.NextDouble())), c.WindowEnd.AddHours(-1)),
            };
            issue.Assignee = PickUser(rng, c.TeamUsers, issue.Created);
            var start = issue.Created.AddDays(rng.Exponential(kind == IssueKind.Bug ? 1.5 : 5));
            var lead = LeadSeconds(rng, kind, issue.TruePoints, speed, issue.Assignee);
            if (Settle(rng, c, issue, start, lead))
            {
                issues.Add(issue);
                AddSubTasks(rng, c, issue, start, lead, issues, ref seq);
            }
        }

        foreach (var issue in issues)
        {
            Decorate(rng, c, issue);
        }

        issues.Sort(static (a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : a.Seq.CompareTo(b.Seq));
        for (var i = 0; i < issues.Count; i++)
        {
            issues[i].Id = lastId + 1 + i;
        }
        Number(c, issues);
        return issues;
    }

    private static int DrawPoints(SeededRandom rng, IssueKind kind) => Fibonacci[rng.Weighted(kind switch
    {
        IssueKind.Story => StoryWeights,
        IssueKind.Task => TaskWeights,
        _ => BugWeights,
    })];

    /// <summary>Seconds from start to done: grows with points, shrinks with team and assignee speed.</summary>
    private static double LeadSeconds(SeededRandom rng, IssueKind kind, int points, double teamSpeed, UserRow? assignee)
    {
        var typeFactor = kind switch { IssueKind.Story => 1.0, IssueKind.Task => 0.8, IssueKind.Bug => 0.7, _ => 0.5 };
        var assigneeSpeed = 0.75 + 0.5 * (assignee?.Seniority ?? 0.5);
        var hours = 10 * Math.Pow(points, 0.9) * typeFactor / (teamSpeed * assigneeSpeed) * rng.LogNormal(0, 0.45);
        hours += rng.Exponential(8); // waiting for review / QA
        var x = rng.NextDouble();
        if (x < 0.0025)
        {
            hours *= rng.Uniform(20, 60); // forgotten in a column for months
        }
        else if (x < 0.0065)
        {
            hours = rng.Uniform(0, 120) / 3600; // bulk-closed: started and done within seconds
        }
        return hours * Hour;
    }

    /// <summary>Sets status and timestamps as of the reference date; false when the issue does not exist yet.</summary>
    private static bool Settle(SeededRandom rng, ProjectChunk c, PlannedIssue x, DateTime start, double leadSeconds)
    {
        var asOf = c.AsOf;
        if (x.Created >= asOf)
        {
            return false;
        }
        if (start < x.Created)
        {
            start = x.Created;
        }
        x.PlannedEnd = start.AddSeconds(leadSeconds);
        if (x.Kind != IssueKind.Epic && rng.Chance(0.015))
        {
            // Won't Do: closed without work, so no lead time.
            var closed = x.Created.AddHours(rng.Uniform(1, 480));
            if (closed < asOf)
            {
                x.Category = Category.Done;
                x.Status = "Won't Do";
                x.Completed = closed;
                x.PlannedEnd = closed;
                return true;
            }
        }
        if (start >= asOf)
        {
            x.Category = Category.ToDo;
        }
        else if (x.PlannedEnd >= asOf)
        {
            x.Category = Category.InProgress;
            x.Started = start;
        }
        else
        {
            x.Category = Category.Done;
            x.Started = start;
            x.Completed = x.PlannedEnd;
        }
        return true;
    }

    private static void SettleEpic(SeededRandom rng, ProjectChunk c, PlannedIssue epic, List<PlannedIssue> children, bool missingChildren)
    {
        epic.Children = children.Count;
        epic.PlannedEnd = epic.Created.AddDays(1);
        DateTime? started = null;
        DateTime? completed = null;
        var allDone = !missingChildren && children.Count > 0;
        foreach (var ch in children)
        {
            if (ch.Category == Category.Done)
            {
                epic.DoneChildren++;
            }
            else
            {
                allDone = false;
            }
            if (ch.Started is { } s && (started is null || s < started))
            {
                started = s;
            }
            if (ch.Completed is { } d && (completed is null || d > completed))
            {
                completed = d;
            }
            if (ch.PlannedEnd > epic.PlannedEnd)
            {
                epic.PlannedEnd = ch.PlannedEnd;
            }
        }
        epic.Assignee = rng.Chance(0.3) ? null : PickUser(rng, c.TeamUsers, epic.Created);
        if (allDone && completed is { } end)
        {
            end = end.AddHours(rng.Uniform(0, 48)); // someone closes the epic a little later
            if (end < c.AsOf)
            {
                epic.Category = Category.Done;
                epic.Started = started ?? epic.Created;
                epic.Completed = end;
                return;
            }
        }
        epic.Category = started is null ? Category.ToDo : Category.InProgress;
        epic.Started = started;
    }

    private static void AddSubTasks(SeededRandom rng, ProjectChunk c, PlannedIssue parent, DateTime start, double lead,
        List<PlannedIssue> issues, ref int seq)
    {
        if (parent.Kind != IssueKind.Story || !rng.Chance(0.05))
        {
            return;
        }
        var count = rng.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var sub = new PlannedIssue
            {
                Seq = seq++,
                Kind = IssueKind.SubTask,
                Parent = parent,
                TruePoints = 1,
                Assignee = parent.Assignee,
                Created = parent.Created.AddSeconds(rng.NextDouble() * Math.Max(0, (start - parent.Created).TotalSeconds)),
            };
            if (Settle(rng, c, sub, start.AddSeconds(rng.Uniform(0, 0.5) * lead), lead * rng.Uniform(0.15, 0.4)))
            {
                issues.Add(sub);
            }
        }
    }

    /// <summary>Status name, points as recorded, reporter, priority, comments, updated, custom fields.</summary>
    private static void Decorate(SeededRandom rng, ProjectChunk c, PlannedIssue x)
    {
        var epic = x.Kind == IssueKind.Epic;
        if (x.Status != "Won't Do")
        {
            x.Status = x.Category switch
            {
                Category.Done => Choose(rng, c, epic ? [("Done", 0.8), ("Closed", 0.2)] : [("Done", 0.7), ("Closed", 0.15), ("Resolved", 0.15)]),
                Category.InProgress => epic ? "In Progress" : Choose(rng, c,
                    [("In Progress", 0.55), ("In Review", 0.22), ("QA", 0.13), ("Blocked", 0.05), ("Ready for QA", 0.05)]),
                _ => Choose(rng, c, epic ? [("Backlog", 0.6), ("Open", 0.4)] : [("Open", 0.35), ("Backlog", 0.45), ("Selected for Development", 0.2)]),
            };
        }
        if (x.Kind is IssueKind.Story or IssueKind.Task or IssueKind.Bug)
        {
            var missing = x.Category == Category.ToDo ? 0.25 : 0.12;
            x.StoryPoints = rng.Chance(missing) ? null : x.TruePoints;
        }
        if (x.Category == Category.ToDo ? rng.Chance(0.5) : rng.Chance(0.02))
        {
            x.Assignee = null;
        }
        x.Reporter = rng.Chance(0.01) ? null : PickUser(rng, c.TenantUsers, x.Created);
        x.Priority = rng.Chance(0.04) ? null : x.Kind switch
        {
            IssueKind.Bug => Pick(rng, [("Highest", 0.06), ("High", 0.3), ("Medium", 0.44), ("Low", 0.17), ("Lowest", 0.03)]),
            IssueKind.Epic => Pick(rng, [("High", 0.3), ("Medium", 0.6), ("Low", 0.1)]),
            _ => Pick(rng, [("Highest", 0.02), ("High", 0.15), ("Medium", 0.6), ("Low", 0.2), ("Lowest", 0.03)]),
        };
        var leadDays = x.Started is { } s ? ((x.Completed ?? c.AsOf) - s).TotalDays : 0;
        x.CommentCount = rng.Poisson(0.5 + 0.3 * x.TruePoints + Math.Min(leadDays, 60) * 0.15 + (epic ? 0.3 * x.Children : 0));
        var last = x.Completed ?? x.Started ?? x.Created;
        x.Updated = x.Completed is { } done
            ? done.AddMinutes(rng.Uniform(0, 180))
            : last.AddSeconds(rng.NextDouble() * (c.AsOf - last).TotalSeconds * 0.5);
        if (x.Updated >= c.AsOf)
        {
            x.Updated = c.AsOf.AddSeconds(-1);
        }
        if (x.Updated < x.Created)
        {
            x.Updated = x.Created;
        }
    }

    private static string Choose(SeededRandom rng, ProjectChunk c, (string Name, double Weight)[] options)
    {
        Span<double> w = stackalloc double[options.Length];
        for (var i = 0; i < options.Length; i++)
        {
            w[i] = c.StatusIds.ContainsKey(options[i].Name) ? options[i].Weight : 0;
        }
        return options[rng.Weighted(w)].Name;
    }

    private static string Pick(SeededRandom rng, (string Name, double Weight)[] options)
    {
        Span<double> w = stackalloc double[options.Length];
        for (var i = 0; i < options.Length; i++)
        {
            w[i] = options[i].Weight;
        }
        return options[rng.Weighted(w)].Name;
    }

    /// <summary>A user employed at <paramref name="at"/>; anchors (always employed) make this terminate.</summary>
    private static UserRow? PickUser(SeededRandom rng, UserRow[] users, DateTime at)
    {
        if (users.Length == 0)
        {
            return null;
        }
        for (var i = 0; i < 12; i++)
        {
            var u = users[rng.Next(users.Length)];
            if (u.EmployedAt(at))
            {
                return u;
            }
        }
        foreach (var u in users)
        {
            if (u.EmployedAt(at))
            {
                return u;
            }
        }
        return null;
    }

    /// <summary>
    /// Keys: in every active project, numbers 1–20 are epics — odd numbers done epics, even
    /// numbers open ones (in progress, the ones with most done children first) — so PAY-12 is an
    /// open epic with history; every other issue is numbered from 21 in creation order.
    /// </summary>
    private static void Number(ProjectChunk c, List<PlannedIssue> issues)
    {
        var next = 1;
        var pinned = new HashSet<PlannedIssue>(ReferenceEqualityComparer.Instance);
        if (c.Project.Active)
        {
            var done = issues.Where(i => i.Kind == IssueKind.Epic && i.Category == Category.Done).Take(10).ToList();
            var open = issues.Where(i => i.Kind == IssueKind.Epic && i.Category != Category.Done)
                .OrderBy(i => i.Category == Category.InProgress ? 0 : 1)
                .ThenByDescending(i => Math.Min(i.DoneChildren, 5))
                .ThenByDescending(i => i.Created)
                .ThenBy(i => i.Seq)
                .Take(10).ToList();
            var extra = issues.Where(i => i.Kind == IssueKind.Epic && !done.Contains(i) && !open.Contains(i)).ToList();
            var qDone = new Queue<PlannedIssue>(done);
            var qOpen = new Queue<PlannedIssue>(open);
            var qExtra = new Queue<PlannedIssue>(extra);
            for (var slot = 1; slot <= 20; slot++)
            {
                var primary = slot % 2 == 1 ? qDone : qOpen;
                var secondary = slot % 2 == 1 ? qOpen : qDone;
                var epic = primary.Count > 0 ? primary.Dequeue() : secondary.Count > 0 ? secondary.Dequeue() : qExtra.Count > 0 ? qExtra.Dequeue() : null;
                if (epic is null)
                {
                    break;
                }
                epic.Number = next++;
                pinned.Add(epic);
            }
        }
        foreach (var issue in issues)
        {
            if (!pinned.Contains(issue))
            {
                issue.Number = next++;
            }
        }
    }

    public static List<PlannedPr> PlanPullRequests(ProjectChunk c, List<PlannedIssue> issues, long lastId)
    {
        var rng = SeededRandom.Derive(c.Seed, SeededRandom.Label("pull_requests"), c.Tenant.Id, c.Project.Id);
        var prs = new List<PlannedPr>(issues.Count / 2);
        var seq = 0;
        foreach (var issue in issues)
        {
            if (issue.Kind is IssueKind.Epic or IssueKind.SubTask || issue.Started is not { } started)
            {
                continue;
            }
            var k = rng.Weighted(issue.Category == Category.Done ? [0.5, 0.38, 0.1, 0.02] : [0.45, 0.45, 0.1, 0]);
            var span = (issue.PlannedEnd - started).TotalSeconds;
            for (var j = 0; j < k; j++)
            {
                var created = started.AddSeconds(span * (j + rng.Uniform(0.05, 0.7)) / k);
                if (created >= c.AsOf)
                {
                    continue;
                }
                var author = issue.Assignee is { } a && a.EmployedAt(created) && rng.Chance(0.85) ? a : PickUser(rng, c.TeamUsers, created);
                prs.Add(MakePr(rng, c, seq++, issue, author, created, issue.TruePoints / Math.Sqrt(k)));
            }
        }
        // Chores with no issue: dependency bumps, CI changes.
        var chores = (int)Math.Round(prs.Count * 0.08);
        var windowDays = (c.WindowEnd - c.WindowStart).TotalDays;
        for (var i = 0; i < chores; i++)
        {
            var created = c.WindowStart.AddDays(windowDays * Math.Sqrt(rng.NextDouble()));
            if (created >= c.AsOf)
            {
                continue;
            }
            var pr = MakePr(rng, c, seq++, null, PickUser(rng, c.TeamUsers, created), created, 1);
            pr.Chore = true;
            prs.Add(pr);
        }

        prs.Sort(static (a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : a.Seq.CompareTo(b.Seq));
        var numbers = new Dictionary<long, int>();
        var authored = new Dictionary<long, int>();
        var review = SeededRandom.Derive(c.Seed, SeededRandom.Label("reviews"), c.Tenant.Id, c.Project.Id);
        for (var i = 0; i < prs.Count; i++)
        {
            var pr = prs[i];
            pr.Id = lastId + 1 + i;
            numbers[pr.Repo.Id] = pr.Number = numbers.GetValueOrDefault(pr.Repo.Id) + 1;
            var prior = pr.Author is { } a ? authored[a.Id] = authored.GetValueOrDefault(a.Id) + 1 : 1;
            Review(review, c, pr, prior - 1);
        }
        return prs;
    }

    private static PlannedPr MakePr(SeededRandom rng, ProjectChunk c, int seq, PlannedIssue? issue, UserRow? author, DateTime created, double points)
    {
        var repo = c.Repos[rng.Next(c.Repos.Length)];
        var changed = Math.Max(1, (int)Math.Round(rng.LogNormal(Math.Log(1.5 + 1.3 * points), 0.55)));
        var additions = Math.Max(1, (int)Math.Round(changed * rng.LogNormal(Math.Log(28), 0.75)));
        var deletions = (int)Math.Round(additions * rng.Uniform(0.05, 0.75));
        return new PlannedPr
        {
            Seq = seq,
            Repo = repo,
            Issue = issue,
            Author = author,
            Created = created,
            ChangedFiles = changed,
            Additions = additions,
            Deletions = deletions,
        };
    }

    /// <summary>
    /// Review outcome, decided in creation order so the author's experience so far (PRs they
    /// opened before, visible in the data) can count: rework log-odds grow with log(changed
    /// files) and additions, fall with experience and seniority, shift per repository.
    /// </summary>
    private static void Review(SeededRandom rng, ProjectChunk c, PlannedPr pr, int prior)
    {
        var seniority = pr.Author?.Seniority ?? 0.5;
        var inexperience = Math.Exp(-prior / 25.0);
        var logit = -3.1 + 0.95 * Math.Log(pr.ChangedFiles) + 0.12 * Math.Log(1 + pr.Additions / 100.0)
                    + 1.4 * inexperience + 1.2 * (0.5 - seniority) + pr.Repo.Spec.ReworkBias;
        var rework = rng.NextDouble() < 1 / (1 + Math.Exp(-logit));
        int cycles, reworkCommits;
        if (rework)
        {
            switch (rng.Next(3))
            {
                case 0:
                    cycles = 3 + rng.Poisson(0.7);
                    reworkCommits = rng.Next(0, 4);
                    break;
                case 1:
                    cycles = rng.Next(1, 3);
                    reworkCommits = 4 + rng.Poisson(2);
                    break;
                default:
                    cycles = 3 + rng.Poisson(1);
                    reworkCommits = 4 + rng.Poisson(3);
                    break;
            }
        }
        else
        {
            cycles = rng.Weighted([0.3, 0.5, 0.2]);
            reworkCommits = rng.Weighted([0.5, 0.25, 0.15, 0.1]);
        }
        pr.ReviewCycles = cycles;
        pr.ReworkCommits = reworkCommits;
        pr.Commits = 1 + reworkCommits + rng.Poisson(pr.ChangedFiles / 5.0);
        var end = pr.Created.AddHours(rng.LogNormal(Math.Log(5), 0.8) * (1 + 0.6 * cycles));
        if (pr.Created < c.AsOf.AddDays(-60) && rng.Chance(0.012))
        {
            pr.Status = "open"; // abandoned, never closed
        }
        else if (end >= c.AsOf)
        {
            pr.Status = "open";
        }
        else if (rng.Chance(0.07))
        {
            pr.Status = "closed";
            pr.Closed = end;
        }
        else
        {
            pr.Status = "merged";
            pr.Merged = end;
            pr.Closed = end;
        }
        if (rng.Chance(0.005))
        {
            pr.ChangedFiles = pr.Additions = pr.Deletions = -1; // written as NULL: the source API did not say
        }
    }

    /// <summary>Deployments of the chunk's repositories and the incidents that follow them.</summary>
    public static (List<PlannedDeployment> Deployments, List<PlannedIncident> Incidents) PlanDeployments(ProjectChunk c, List<PlannedPr> prs)
    {
        var deployments = new List<PlannedDeployment>();
        var incidents = new List<PlannedIncident>();
        var seq = 0;
        var team = c.Team.Spec;
        foreach (var repo in c.Repos)
        {
            var rng = SeededRandom.Derive(c.Seed, SeededRandom.Label("deployments"), c.Tenant.Id, repo.Id);
            var merged = prs.Where(p => ReferenceEquals(p.Repo, repo) && p.Merged is not null).Select(p => (Merged: p.Merged!.Value, p.Created))
                .OrderBy(p => p.Merged).ToList();
            var rate = team.DeploysPerDay / c.Repos.Length;
            var cursor = 0;
            var repoDeploys = new List<PlannedDeployment>();
            for (var day = c.WindowStart.Date; day < c.WindowEnd; day = day.AddDays(1))
            {
                var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
                var f = weekend ? 0.1 : 1.0;
                var prod = rng.Poisson(rate * f);
                var staging = rng.Poisson(rate * 1.5 * f);
                for (var i = 0; i < prod + staging; i++)
                {
                    var at = day.AddHours(rng.Uniform(8, 19));
                    if (at >= c.WindowEnd || at >= c.AsOf)
                    {
                        continue;
                    }
                    var production = i < prod;
                    var u = rng.NextDouble();
                    repoDeploys.Add(new PlannedDeployment
                    {
                        Seq = seq++,
                        Repo = repo,
                        Environment = production ? "production" : "staging",
                        DeployedAt = at,
                        Status = production
                            ? u < team.ChangeFailRate * 0.7 ? "failed" : u < team.ChangeFailRate ? "rolled_back" : "success"
                            : u < team.ChangeFailRate * 1.2 ? "failed" : "success",
                    });
                }
            }
            repoDeploys.Sort(static (a, b) => a.DeployedAt != b.DeployedAt ? a.DeployedAt.CompareTo(b.DeployedAt) : a.Seq.CompareTo(b.Seq));
            foreach (var d in repoDeploys)
            {
                if (d.Environment != "production")
                {
                    continue;
                }
                // DORA lead time for changes: first commit (PR opened) of the oldest change this deployment ships.
                DateTime? oldest = null;
                while (cursor < merged.Count && merged[cursor].Merged <= d.DeployedAt)
                {
                    if (oldest is null || merged[cursor].Created < oldest)
                    {
                        oldest = merged[cursor].Created;
                    }
                    cursor++;
                }
                if (oldest is { } o)
                {
                    d.LeadTimeSeconds = (long)(d.DeployedAt - o).TotalSeconds;
                }
                var p = d.Status switch { "failed" => 0.55, "rolled_back" => 0.35, _ => 0.03 };
                if (rng.Chance(p))
                {
                    incidents.Add(NewIncident(rng, c, seq++, d, d.DeployedAt.AddHours(rng.Exponential(2)), d.Status != "success"));
                }
            }
            deployments.AddRange(repoDeploys);

            // Incidents nobody tied to a deployment.
            var background = rng.Poisson((c.WindowEnd - c.WindowStart).TotalDays / 60);
            for (var i = 0; i < background; i++)
            {
                var at = c.WindowStart.AddDays(rng.NextDouble() * (c.WindowEnd - c.WindowStart).TotalDays);
                incidents.Add(NewIncident(rng, c, seq++, null, at, false));
            }
        }
        incidents.RemoveAll(i => i.Created >= c.AsOf);
        deployments.Sort(static (a, b) => a.DeployedAt != b.DeployedAt ? a.DeployedAt.CompareTo(b.DeployedAt) : a.Seq.CompareTo(b.Seq));
        incidents.Sort(static (a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : a.Seq.CompareTo(b.Seq));
        return (deployments, incidents);
    }

    private static PlannedIncident NewIncident(SeededRandom rng, ProjectChunk c, int seq, PlannedDeployment? d, DateTime created, bool bad)
    {
        var resolved = created.AddHours(rng.LogNormal(Math.Log(3), 1.0));
        return new PlannedIncident
        {
            Seq = seq,
            ClientId = c.Tenant.Id,
            Deployment = d,
            Created = created,
            Resolved = resolved < c.AsOf && !rng.Chance(0.01) ? resolved : null, // a few are never closed
            Severity = Pick(rng, bad
                ? [("sev1", 0.1), ("sev2", 0.3), ("sev3", 0.4), ("sev4", 0.2)]
                : [("sev1", 0.02), ("sev2", 0.13), ("sev3", 0.45), ("sev4", 0.4)]),
        };
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
}
