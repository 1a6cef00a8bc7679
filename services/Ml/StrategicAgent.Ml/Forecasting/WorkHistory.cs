namespace StrategicAgent.Ml.Forecasting;

/// <summary>One issue as the forecast needs it (a tenant's Epic/Story/Task/Bug rows; Done from its status mapping).</summary>
public sealed record WorkItem(
    long Id, string Key, string Type, long? ParentId, long ProjectId, DateTime Created, DateTime? Started, DateTime? Completed,
    bool Done, double? Points);

/// <summary>A child issue still to do at the forecast moment: its points, or none (then estimated).</summary>
public sealed record RemainingChild(long Id, string Key, double? Points);

/// <summary>
/// What is known about an open epic at one moment (<see cref="AsOf"/>): its children then (done and not), and its
/// team's pace in the weeks before — per active epic, since a team works on many epics at once.
/// </summary>
public sealed record EpicState
{
    public required WorkItem Epic { get; init; }
    public required DateTime AsOf { get; init; }
    /// <summary>When work on the epic started (its first child's start), or when it was created.</summary>
    public required DateTime StartedAt { get; init; }
    public required IReadOnlyList<RemainingChild> Remaining { get; init; }
    public required int DoneChildren { get; init; }
    public required double DonePoints { get; init; }
    /// <summary>Team points completed per active epic, one value per past week (oldest first); empty when unknown.</summary>
    public required IReadOnlyList<double> WeeklyPointsPerEpic { get; init; }
    public long? TeamId { get; init; }
    /// <summary>Epics of the team in progress at <see cref="AsOf"/> (this one included).</summary>
    public int ActiveEpics { get; init; }
}

/// <summary>
/// A tenant's work history (epics, their children, teams by project), able to say what was known about an epic at
/// any moment: the children created by then, which were done by then, and the team's weekly throughput before it.
/// The same code serves a forecast now and replays the past for the backtest. Plain C#.
/// </summary>
public sealed class WorkHistory
{
    /// <summary>Weeks of team throughput a forecast samples from.</summary>
    public const int DefaultWeeks = 12;

    private readonly Dictionary<long, WorkItem> _byId;
    private readonly Dictionary<string, WorkItem> _byKey;
    private readonly ILookup<long, WorkItem> _children;
    private readonly IReadOnlyDictionary<long, long?> _teamOfProject;
    private readonly ILookup<long, WorkItem> _doneByTeam;
    private readonly ILookup<long, WorkItem> _epicsByTeam;

    public WorkHistory(IEnumerable<WorkItem> items, IReadOnlyDictionary<long, long?> teamOfProject)
    {
        var all = items.ToList();
        _byId = all.ToDictionary(i => i.Id);
        _byKey = all.GroupBy(i => i.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _children = all.Where(i => i.ParentId is not null && i.Type != "Epic").ToLookup(i => i.ParentId!.Value);
        _teamOfProject = teamOfProject;
        long Team(WorkItem i) => teamOfProject.TryGetValue(i.ProjectId, out var t) && t is { } id ? id : -i.ProjectId;
        _doneByTeam = all.Where(i => i.Type != "Epic" && i.Completed is not null && i.Points is > 0).ToLookup(Team);
        _epicsByTeam = all.Where(i => i.Type == "Epic").ToLookup(Team);
    }

    public WorkItem? Find(string key) => _byKey.GetValueOrDefault(key);

    public IEnumerable<WorkItem> Epics => _byId.Values.Where(i => i.Type == "Epic");

    public IEnumerable<WorkItem> ChildrenOf(long epicId) => _children[epicId];

    /// <summary>The team owning a project's work; unassigned projects count as a team of their own.</summary>
    public long TeamOf(WorkItem item) =>
        _teamOfProject.TryGetValue(item.ProjectId, out var t) && t is { } id ? id : -item.ProjectId;

    /// <summary>When work on an epic started as far as <paramref name="asOf"/> knows: its own start, else its first child's, else its creation.</summary>
    public DateTime StartOf(WorkItem epic, DateTime asOf)
    {
        if (epic.Started is { } s && s <= asOf)
        {
            return s;
        }
        var first = _children[epic.Id].Where(c => c.Started is { } cs && cs <= asOf).Select(c => c.Started!.Value).DefaultIfEmpty(epic.Created).Min();
        return first < epic.Created ? epic.Created : first;
    }

    /// <summary>The epic as it stood at <paramref name="asOf"/> (children created by then; done if completed by then).</summary>
    public EpicState StateAt(WorkItem epic, DateTime asOf, int weeks = DefaultWeeks)
    {
        var children = _children[epic.Id].Where(c => c.Created <= asOf).ToList();
        var done = children.Where(c => c.Done && c.Completed is { } t && t <= asOf).ToList();
        var remaining = children.Except(done).Select(c => new RemainingChild(c.Id, c.Key, c.Points is > 0 ? c.Points : null)).ToList();
        var team = TeamOf(epic);
        return new EpicState
        {
            Epic = epic,
            AsOf = asOf,
            StartedAt = StartOf(epic, asOf),
            Remaining = remaining,
            DoneChildren = done.Count,
            DonePoints = done.Sum(c => c.Points ?? 0),
            WeeklyPointsPerEpic = WeeklyPointsPerEpic(team, asOf, weeks),
            TeamId = team,
            ActiveEpics = ActiveEpics(team, asOf, asOf),
        };
    }

    /// <summary>
    /// For each of the <paramref name="weeks"/> weeks before <paramref name="asOf"/>: the team's points completed that week
    /// divided by the epics it had in progress that week (as known at <paramref name="asOf"/>).
    /// </summary>
    public IReadOnlyList<double> WeeklyPointsPerEpic(long team, DateTime asOf, int weeks)
    {
        var result = new List<double>(weeks);
        var done = _doneByTeam[team].Where(i => i.Completed <= asOf && i.Completed > asOf.AddDays(-7 * weeks)).ToList();
        for (var w = weeks; w >= 1; w--)
        {
            var from = asOf.AddDays(-7 * w);
            var to = from.AddDays(7);
            var points = done.Where(i => i.Completed > from && i.Completed <= to).Sum(i => i.Points!.Value);
            var active = ActiveEpics(team, from, to <= asOf ? to : asOf, asOf);
            if (active > 0)
            {
                result.Add(points / active);
            }
        }
        return result;
    }

    /// <summary>
    /// The points an unpointed child is taken to have when no complexity estimate exists: the median points of the
    /// team's items completed before <paramref name="asOf"/> (3 when the team has none).
    /// </summary>
    public double TypicalPoints(long team, DateTime asOf)
    {
        var points = _doneByTeam[team].Where(i => i.Completed <= asOf).Select(i => i.Points!.Value).ToArray();
        if (points.Length == 0)
        {
            return 3;
        }
        Array.Sort(points);
        return points[points.Length / 2];
    }

    /// <summary>Estimates for the unpointed remaining children of <paramref name="state"/>: the team's typical points each.</summary>
    public Dictionary<long, double> FallbackEstimates(EpicState state)
    {
        var typical = TypicalPoints(state.TeamId ?? TeamOf(state.Epic), state.AsOf);
        return state.Remaining.Where(c => c.Points is null).ToDictionary(c => c.Id, _ => typical);
    }

    private int ActiveEpics(long team, DateTime at, DateTime asOf) => ActiveEpics(team, at, at, asOf);

    /// <summary>Epics of the team in progress at some point of [from, to], as known at <paramref name="asOf"/>.</summary>
    private int ActiveEpics(long team, DateTime from, DateTime to, DateTime asOf) =>
        _epicsByTeam[team].Count(e =>
        {
            if (e.Started is not { } started)
            {
                return false; // never started: not being worked on
            }
            var completed = e.Completed is { } c && c <= asOf ? c : (DateTime?)null;
            return started <= to && (completed is null || completed >= from);
        });
}
