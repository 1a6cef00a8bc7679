namespace StrategicAgent.Semantic;

/// <summary>
/// The entities of the platform schema (docs/agent.md, "The semantic layer"): tables, joins,
/// attributes, predicates and events, each with the words that name it. Checked against
/// services/Data/.../0001_platform_schema.sql and the demo generator.
/// </summary>
public static class Entities
{
    private const string Done = "'Done'";

    /// <summary>Issue and epic share their joins and predicates; only the alias differs.</summary>
    /// <summary>Status aliases: s/sm for issues (as hand-written SQL has them), es/esm for epics.</summary>
    private static string S(string a) => a == "i" ? "s" : a + "s";

    private static JoinDef[] IssueJoins(string a) =>
    [
        new("project", $"JOIN projects p ON p.id = {a}.project_id"),
        new("team", "JOIN teams t ON t.id = p.team_id", After: "project"),
        new("status", $"JOIN statuses {S(a)} ON {S(a)}.id = {a}.status_id"),
        new("status_mapping", $"JOIN status_mappings {S(a)}m ON {S(a)}m.id = {S(a)}.status_mapping_id", After: "status"),
        new("issuetype", $"JOIN issuetypes it ON it.id = {a}.issuetype_id"),
        new("assignee", $"JOIN users u ON u.id = {a}.assignee_id"),
    ];

    /// <summary>The words of an issue's open state (status category not Done) that can stand before a noun: "unfinished child tickets".</summary>
    private static readonly string[] OpenStateWords =
        ["open", "unresolved", "not (?:yet )?(?:done|closed|completed|resolved|finished)", "still open", "outstanding", "pending", "remaining", "unfinished", "incomplete"];

    /// <summary>The words of an issue's done state (status category Done) that can stand before a noun: "resolved child issues".</summary>
    private static readonly string[] DoneStateWords = ["done", "completed", "closed", "finished", "resolved", "fixed", "delivered", "shipped"];

    /// <summary>A status said by its name, with or without the word "status" around it: "won't do", "the In Review status", "whose status is Won't Do".</summary>
    private static string StatusNamed(string name) =>
        $"(?:(?:with|whose|where|in|of) (?:the |a )?(?:current )?status(?: is| of| =|:)? (?:of )?)?(?:the |a )?{name}(?: status| state| column)?";

    /// <summary>
    /// A value said to be recorded ("with a recorded file count", "that have a known lead time", "whose lead time is recorded"): the
    /// population of a share of a threshold read as the rows with a known value (<see cref="AttributeDef.KnownWhen"/>). Only with
    /// "recorded"/"known": "with a lead time of at most 7 days" is the threshold itself.
    /// </summary>
    private static string[] KnownWords(string value) =>
    [
        $"(?:with|having|that have|that has|which have|which has) (?:a |an )?(?:recorded|known) {value}",
        $"whose {value} (?:is|are|was|were) (?:recorded|known)",
    ];

    private static PredicateDef[] IssueStates(string a) =>
    [
        new("done", "done", $"{S(a)}m.status_to = {Done}", []) { Joins = ["status_mapping"], Group = "state" },
        new("not_done", "not done (open)", $"{S(a)}m.status_to <> {Done}",
            [.. OpenStateWords, "(?:haven't|hasn't|have not|has not|aren't|isn't|are not|is not|weren't|wasn't|were not|was not)(?: yet)?(?: been)?(?: yet)? (?:done|closed|completed|resolved|finished|fixed)",
             "backlog", "in the backlog", "not completed yet"])
            { Joins = ["status_mapping"], Group = "state" },
        new("in_progress", "in progress", $"{S(a)}m.status_to = 'In Progress'",
            ["in[ -]progress", "ongoing", "wip", "work in progress", "being worked on", "in flight", "in-flight", "started but not (?:done|finished|completed)"])
            { Joins = ["status_mapping"], Group = "state" },
        new("to_do", "to do (not started)", $"{S(a)}m.status_to = 'To Do'",
            ["to[ -]?do", "not (?:yet )?started", "unstarted"]) { Joins = ["status_mapping"], Group = "state" },
        // Two of the demo data's own statuses (docs/demo-data.md) that are a part of a category, not all of it: asked by their
        // name, they are that status (statuses.original_name), never the category. The others are left out on purpose: Open,
        // Closed, Resolved and Done are the categories' own words, Blocked and Ready for QA exist for some tenants only (an
        // answer 0 where the status does not exist would be a wrong answer), "QA" is also an environment word.
        new("in_review", "in status In Review", $"{S(a)}.original_name = 'In Review'",
            [StatusNamed("in[ -]review"), "under review", "awaiting review", "waiting (?:for|on) review"])
            { Joins = ["status"], Group = "state" },
        // Won't Do is a Done status: "closed as Won't Do" says both, and the category makes the condition read as the done state too.
        new("wont_do", "in status Won't Do (closed without the work)", $"{S(a)}m.status_to = {Done} AND {S(a)}.original_name = 'Won''t Do'",
            [StatusNamed("won'?t[ -]do"), "(?:closed|resolved|marked|set) (?:as |to )?won'?t[ -]do"])
            { Joins = ["status_mapping"], Group = "state" },
        new("completed", "with a completion time", $"{a}.work_last_completed_at IS NOT NULL", []),
        // Said in words only as recorded/known ("with a lead time of at most 7 days" is the threshold): the population of a share of a threshold.
        new("has_lead_time", "with a recorded lead time", $"{a}.total_lead_time_seconds IS NOT NULL", KnownWords("(?:lead|cycle) time")),
        new("started", "started", $"{a}.work_first_started_at IS NOT NULL", []),
        new("unassigned", "without an assignee", $"{a}.assignee_id IS NULL",
            ["unassigned", "not assigned(?: to anyone)?", "without (?:an? )?assignees?", "with no assignees?", "no assignees?", "(?:that )?(?:nobody|no one|no-one) (?:is )?assigned(?: to)?",
             "without (?:an? )?owners?", "unowned", "with no owners?", "(?:that )?(?:nobody|no one|no-one) (?:is )?working on", "that have no assignees?", "that has no assignees?",
             "(?:that )?(?:don't|doesn't|didn't|do not|does not) have (?:anyone|anybody|any ?one|an? (?:assignee|owner)|any (?:assignee|owner)s?)(?: assigned)?"])
            { Group = "assigned" },
        new("assigned", "with an assignee", $"{a}.assignee_id IS NOT NULL",
            ["with (?:an? )?assignees?", "(?:that )?(?:are|is|were|was) (?:already |currently )?assigned", "(?:already )?assigned(?= issues| tickets| bugs| stories| tasks)"]) { Group = "assigned" },
        new("unestimated", "without story points", $"{a}.story_points IS NULL",
            ["unestimated", "not estimated", "without (?:any )?(?:story )?points", "with no (?:story )?points", "no story points", "missing (?:story )?points",
             "unpointed", "without (?:an? )?estimates?", "with no estimates?", "that have no (?:story )?points", "that lack (?:story )?points", "lacking (?:story )?points", "unsized",
             "missing (?:an? )?(?:story point )?estimates?", "(?:have|has) no (?:story )?points", "(?:have|has) no estimates?", "no estimates?",
             "(?:haven't|hasn't|have not|has not|aren't|isn't|are not|is not|weren't|wasn't|were not|was not|not|never)(?: yet)?(?: been)?(?: yet)? (?:estimated|pointed|sized)"])
            { Group = "estimated" },
        new("estimated", "with story points", $"{a}.story_points IS NOT NULL",
            ["estimated", "pointed", "with (?:story )?points", "that have (?:story )?points", "sized"]) { Group = "estimated" },
        new("no_comments", "without comments", $"{a}.comment_count = 0",
            ["without (?:any )?comments", "with no comments", "with zero comments", "no comments", "uncommented", "that nobody commented on"]),
    ];

    private static AttributeDef[] IssueAttributes(string a) =>
    [
        new("created", "creation time", $"{a}.created", AttributeType.Timestamp, "", []),
        new("updated", "last update", $"{a}.updated", AttributeType.Timestamp, "", []),
        new("started", "start of work", $"{a}.work_first_started_at", AttributeType.Timestamp, "", []),
        new("completed", "completion time", $"{a}.work_last_completed_at", AttributeType.Timestamp, "", []),
        new("story_points", "story points", $"{a}.story_points", AttributeType.Number, "points",
            ["story[ -]?point estimates?", "story[ -]?points?", "storypoints?", "points", "pts", "estimates?", "size in points", "story[ -]?point (?:sizes?|values?)"]) { KnownWhen = "estimated" },
        new("comment_count", "comments", $"{a}.comment_count", AttributeType.Number, "comments",
            ["comments?", "comment counts?", "number of comments"]),
        new("lead_time_days", "lead time", $"{a}.total_lead_time_seconds / 86400.0", AttributeType.Number, "days", [])
            { Requires = ["done", "completed", "has_lead_time"], Polarity = Polarity.Duration, KnownWhen = "has_lead_time" },
        // The age of an open row up to now ("open for more than two weeks"), from its creation; "started more than 30 days ago" of
        // rows in progress, from the start of work. No words: only the reader's and the judge's age phrases reach them, and only with
        // an open state said (of finished rows the age is ambiguous).
        new("age_days", "age since creation", $"extract(epoch FROM (now() - {a}.created)) / 86400.0", AttributeType.Number, "days", []),
        new("started_age_days", "time since work started", $"extract(epoch FROM (now() - {a}.work_first_started_at)) / 86400.0", AttributeType.Number, "days", []),
    ];

    /// <summary>
    /// "open" as a verb after "did/do/does/will + subject" ("how many PRs did Alice open") is the creation event,
    /// never the state "open" (the rows' state is not asked: a PR opened this year may be merged by now). A subject must
    /// stand between them (a name the reader blanked counts): right after the auxiliary "open" is an adjective ("how many child issues do open epics have").
    /// </summary>
    private const string OpenVerb =
        @"(?<=\b(?:did|do|does|will|would)(?:(?: [\w'-]+){1,3}|\s\s+) )(?<!\b(?:a|an|the|any|all|our|their|your|its|have|has|had|are|is|be|been|being|still|remain|remains|stay|stays|currently)\s+)open";

    private static EventDef[] IssueEvents(string a) =>
    [
        new("created", "created", "created", [],
            ["created", "opened", "raised", "filed", "reported", "logged", "added", "submitted", "came in", "new", "written", "wrote", "creation", OpenVerb]),
        new("completed", "completed", "completed", ["done", "completed"],
            ["completed", "closed", "resolved", "finished", "delivered", "shipped", "fixed", "done", "completions?", "got done", "were done", "was done",
             "complete", "close", "resolve", "finish", "deliver", "ship", "fix", "get done", "gets done", "getting done", "fixing", "closing", "finishing", "completing",
             "wrapped up", "wrap up", "wrapping up", "closed out", "close out", "finished off", "knocked out",
             "(?:reached|reach|reaches|hit|moved to|move to|went to|go to|got to|transitioned to|made it to) (?:done|completion|complete|the done (?:column|status|state))"]),
        new("started", "started", "started", ["started"],
            ["started", "began", "begun", "kicked off", "start", "begin", "starting", "where work began", "work began", "work started"]),
    ];

    public static EntityDef Issue { get; } = new()
    {
        Kind = EntityKind.Issue,
        Name = "issue",
        Table = "issues",
        Alias = "i",
        Singular = "issue",
        Plural = "issues",
        Synonyms = ["issues?", "tickets?", "work items?", "items", "jira issues?", "jira tickets?", "cards?"],
        BaseConditions = ["i.active"],
        Joins = [.. IssueJoins("i"),
            new JoinDef("reporter", "JOIN users rp ON rp.id = i.reporter_id"),
            new JoinDef("epic_parent", "JOIN issues ep ON ep.id = i.parent_id"),
            new JoinDef("epic_type", "JOIN issuetypes ept ON ept.id = ep.issuetype_id AND ept.original_name = 'Epic'", After: "epic_parent")],
        Attributes = IssueAttributes("i"),
        Predicates = [.. IssueStates("i"),
            new PredicateDef("no_epic", "not in an epic", "i.parent_id IS NULL",
                ["without (?:an? )?(?:parent )?epic", "not in (?:an? )?epic", "with no epic", "no epic", "outside (?:of )?(?:any )?epics?", "orphan(?:ed)?"]),
            new PredicateDef("no_description", "without a description", "coalesce(i.description, '') = ''",
                ["without (?:a )?descriptions?", "with no descriptions?", "no descriptions?", "missing (?:a )?descriptions?", "empty descriptions?"])],
        Events = IssueEvents("i"),
        DefaultTime = "created",
        Key = new("i.key", "issue"),
        Title = new("i.summary", "summary"),
        CountColumn = "issues",
    };

    private const string Child = "child (?:issues|tickets|items|stories)";
    /// <summary>The epic's active children in (or out of) the Done status category.</summary>
    private static string ChildCount(string op) =>
        "(SELECT count(*) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id " +
        $"WHERE c.parent_id = e.id AND c.active AND csm.status_to {op} {Done})";

    private const string Points = "(?:story[ -]?points?|points|pts)";

    /// <summary>The total story points of the epic's active children (in or out of the Done status category); 0 when none has points.</summary>
    private static string ChildPoints(string? op) => op is null
        ? "(SELECT coalesce(sum(c.story_points), 0) FROM issues c WHERE c.parent_id = e.id AND c.active)"
        : "(SELECT coalesce(sum(c.story_points), 0) FROM issues c JOIN statuses cs ON cs.id = c.status_id JOIN status_mappings csm ON csm.id = cs.status_mapping_id " +
          $"WHERE c.parent_id = e.id AND c.active AND csm.status_to {op} {Done})";

    private static readonly string OpenState = string.Join("|", OpenStateWords);
    private static readonly string DoneState = string.Join("|", DoneStateWords);

    private const string ChildJoin = "JOIN issues c ON c.parent_id = e.id AND c.active";

    /// <summary>The same children as a join (a ranking of epics by them groups the epic's rows and counts).</summary>
    private static RelatedCount ChildRows(string? op) => op is null
        ? new(ChildJoin, [], null)
        : new(ChildJoin, ["JOIN statuses cs ON cs.id = c.status_id", "JOIN status_mappings csm ON csm.id = cs.status_mapping_id"], $"csm.status_to {op} {Done}");

    public static EntityDef Epic { get; } = new()
    {
        Kind = EntityKind.Epic,
        Name = "epic",
        Table = "issues",
        Alias = "e",
        Singular = "epic",
        Plural = "epics",
        Synonyms = ["epics?"],
        BaseJoins = ["JOIN issuetypes et ON et.id = e.issuetype_id"],
        BaseConditions = ["e.active", "et.original_name = 'Epic'"],
        Joins = IssueJoins("e"),
        // An epic carries no story points of its own (its children do; docs/demo-data.md): "story points of open epics" is not
        // the epics' own field, which would answer 0 — without the attribute the words are left over and the question refused.
        Attributes = [.. IssueAttributes("e").Where(a => a.Name != "story_points"),
            new AttributeDef("children", "child issues", "(SELECT count(*) FROM issues c WHERE c.parent_id = e.id AND c.active)", AttributeType.Number, "issues",
                ["child issues", "children", "child tickets", "child items", "stories in (?:it|them)", "issues in (?:it|them)", "child[ -](?:issue|ticket) counts?"])
                { Related = ChildRows(null) },
            // A state word said of an epic's children is theirs, not the epic's: "the open epic with the most open child issues".
            // Every word of the issues' own open / done state, said of the children ("unfinished child tickets", "child issues still pending").
            new AttributeDef("children_open", "open child issues", ChildCount("<>"), AttributeType.Number, "issues",
                [$"(?:{OpenState}) {Child}", $"(?:{OpenState}) children", $"{Child} (?:that are |still )*(?:{OpenState})"]) { Related = ChildRows("<>") },
            new AttributeDef("children_done", "done child issues", ChildCount("="), AttributeType.Number, "issues",
                [$"(?:{DoneState}) {Child}", $"(?:{DoneState}) children", $"{Child} (?:that are |already )*(?:{DoneState})"])
                { Related = ChildRows("=") },
            // An epic's size in points is its children's: the total of their story points (children without points add nothing; an epic
            // whose children have none has 0). Said of the open children it is the work left ("story points left", "remaining points").
            new AttributeDef("children_points", "story points of its child issues", ChildPoints(null), AttributeType.Number, "points",
                [Points, $"(?:total (?:of )?(?:the )?)?child {Points}", $"(?:total (?:of )?(?:the )?)?{Points} of (?:its |their )?(?:child(?:ren)?|child issues)", $"size in {Points}", "epic size in points"])
                { Related = ChildRows(null) with { Sum = "c.story_points" } },
            new AttributeDef("children_points_open", "story points of its open child issues", ChildPoints("<>"), AttributeType.Number, "points",
                [$"(?:{OpenState}) (?:child )?{Points}", $"{Points} (?:still )?(?:left to do|left|still to do|to do|open|remaining|outstanding|not (?:yet )?done)",
                 $"{Points} on (?:open|unfinished|remaining) (?:child )?(?:issues|tickets|work|stories)"])
                { Related = ChildRows("<>") with { Sum = "c.story_points" } },
            ],
        Predicates = IssueStates("e"),
        Events = IssueEvents("e"),
        DefaultTime = "created",
        Key = new("e.key", "epic"),
        Title = new("e.summary", "summary"),
        CountColumn = "epics",
    };

    /// <summary>A PR closed without a merge: the state's words and the closing event's (the event dates the rows when a window is asked).</summary>
    private static readonly string[] ClosedUnmerged =
        ["closed without (?:being )?merg(?:ed|ing|e)", "closed without a merge", "closed but not merged", "closed unmerged", "abandoned", "declined", "rejected", "discarded", "closed",
         // the base form after "did/do + subject" ("how many PRs did we close without merging"), as the other entities' event verbs have it
         "close (?:them |it )?without (?:being )?merg(?:ed|ing|e)", "close (?:them |it )?without a merge", "close (?:them |it )?unmerged", "abandon", "decline", "reject", "discard"];

    public static EntityDef PullRequest { get; } = new()
    {
        Kind = EntityKind.PullRequest,
        Name = "pull_request",
        Table = "pull_requests",
        Alias = "pr",
        Singular = "pull request",
        Plural = "pull requests",
        Synonyms = ["pull[ -]requests?", "prs?", "merge requests?", "mrs?", "code reviews?", "changesets?"],
        BaseConditions = ["pr.active"],
        Joins =
        [
            new("repository", "JOIN repositories r ON r.id = pr.repository_id"),
            new("team", "JOIN teams t ON t.id = r.team_id", After: "repository"),
            new("author", "JOIN users u ON u.id = pr.author_id"),
        ],
        Attributes =
        [
            new("created_at", "opening time", "pr.created_at", AttributeType.Timestamp, "", []),
            new("merged_at", "merge time", "pr.merged_at", AttributeType.Timestamp, "", []),
            new("closed_at", "closing time", "pr.closed_at", AttributeType.Timestamp, "", []),
            new("changed_files", "changed files", "pr.changed_files", AttributeType.Number, "files",
                ["changed files?", "files? changed", "files touched", "files", "file changes", "number of files(?: changed| touched)?", "number of changed files",
                 "size in (?:changed )?files", "(?:changed[ -])?file counts?"]) { KnownWhen = "has_changed_files" },
            new("additions", "lines added", "pr.additions", AttributeType.Number, "lines",
                ["additions?", "lines? added", "added lines?", "insertions?", "lines of code added", "added", "number of (?:lines (?:of code )?added|added lines)"]) { KnownWhen = "has_additions" },
            new("deletions", "lines deleted", "pr.deletions", AttributeType.Number, "lines",
                ["deletions?", "lines? deleted", "deleted lines?", "lines? removed", "removed lines?", "deleted", "removed", "number of (?:lines (?:deleted|removed)|(?:deleted|removed) lines)"]) { KnownWhen = "has_deletions" },
            new("lines_changed", "lines changed (added + deleted)", "(pr.additions + pr.deletions)", AttributeType.Number, "lines",
                ["lines changed", "changed lines", "lines added plus deleted", "added plus deleted lines", "added (?:plus|and) deleted", "additions (?:and|plus) deletions(?: together)?",
                 "diff size", "lines", "size in lines(?: changed)?", "size in changed lines", "number of lines(?: changed)?"]) { KnownWhen = "has_line_counts" },
            new("commit_count", "commits", "pr.commit_count", AttributeType.Number, "commits",
                ["commits?", "commit counts?", "number of commits"]),
            new("review_cycles", "review cycles", "pr.review_cycles", AttributeType.Number, "cycles",
                ["review cycles?", "review rounds?", "rounds of reviews?", "review iterations?", "review loops?"]) { Polarity = Polarity.Duration },
            new("rework_commit_count", "rework commits", "pr.rework_commit_count", AttributeType.Number, "commits",
                ["rework commits?", "fix-?up commits?", "follow-?up commits?"]) { Polarity = Polarity.Duration },
            new("time_to_merge_hours", "time to merge", "extract(epoch FROM (pr.merged_at - pr.created_at)) / 3600.0", AttributeType.Number, "hours", [])
                { Requires = ["merged"], Polarity = Polarity.Duration },
            // The age of an open PR up to now ("open for more than two weeks"): only the reader's and the judge's age phrases reach it.
            new("age_days", "age since opening", "extract(epoch FROM (now() - pr.created_at)) / 86400.0", AttributeType.Number, "days", []),
        ],
        Predicates =
        [
            new("merged", "merged", "pr.merged_at IS NOT NULL", ["merged", "landed"]) { Group = "state" },
            new("open", "open (not merged or closed yet)", "pr.status = 'open'",
                ["open", "still open", "pending", "awaiting (?:a )?review", "waiting (?:for|on) (?:a )?review", "in review", "under review", "outstanding",
                 "(?:a)?waiting (?:to be |for (?:a |the |their )?)?merged?", "not (?:yet )?merged or closed", "yet to be merged",
                 "(?:haven't|hasn't|have not|has not|weren't|wasn't|were not|was not|aren't|isn't|are not|is not|not)(?: yet)?(?: been)? (?:merged or closed|closed or merged)(?: yet)?"]) { Group = "state" },
            new("closed_unmerged", "closed without merging", "pr.status = 'closed'", ClosedUnmerged) { Group = "state" },
            new("not_merged", "not merged", "pr.merged_at IS NULL",
                ["unmerged", "not merged", "never merged", "not yet merged", "(?:haven't|hasn't|have not|has not|weren't|wasn't|were not|was not|aren't|isn't)(?: yet)?(?: been)? merged"]) { Group = "state" },
            new("unreviewed", "without review", "pr.review_cycles = 0",
                ["without (?:a |any )?(?:code )?reviews?", "with no (?:code )?reviews?", "with zero reviews?", "no (?:code )?reviews?", "unreviewed", "not reviewed",
                 "never reviewed", "without being reviewed", "without review cycles", "with no review cycles", "with zero review cycles", "that nobody reviewed", "(?:that )?skipped review"])
                { Group = "reviewed" },
            new("reviewed", "reviewed at least once", "pr.review_cycles > 0", ["reviewed", "with (?:a |at least one )?reviews?"]) { Group = "reviewed" },
            new("rework", "needing rework (review_cycles > 2 or rework_commit_count > 3)", "(pr.review_cycles > 2 OR pr.rework_commit_count > 3)",
                ["needing rework", "that needed rework", "which needed rework", "needed rework", "with rework", "reworked", "requiring rework", "that required rework", "required rework", "had rework", "that had rework"]) { Group = "rework" },
            new("no_rework", "without rework", "NOT (pr.review_cycles > 2 OR pr.rework_commit_count > 3)",
                ["without rework", "with no rework", "not reworked", "that needed no rework"]) { Group = "rework" },
            new("no_issue", "not linked to an issue", "pr.issue_id IS NULL",
                ["without (?:a |an )?(?:linked )?(?:issues?|tickets?)(?: attached| linked)?", "(?:aren't|isn't|weren't|wasn't|are not|is not|were not|was not|not) (?:linked|tied|attached) to (?:an? |any )?(?:issues?|tickets?)",
                 "unlinked", "with no (?:linked )?(?:issues?|tickets?)(?: attached| linked)?", "(?:that )?(?:have|has|had) no (?:linked )?(?:issues?|tickets?)(?: attached| linked)?", "chore"])
                { Group = "linked" },
            new("linked", "linked to an issue", "pr.issue_id IS NOT NULL",
                ["linked to (?:an? )?(?:issues?|tickets?)", "with (?:a |an )?linked (?:issues?|tickets?)", "that reference (?:an? )?(?:issues?|tickets?)"]) { Group = "linked" },
            new("merged_same_day", "merged on the day they were opened (UTC)", "(pr.merged_at AT TIME ZONE 'UTC')::date = (pr.created_at AT TIME ZONE 'UTC')::date",
                ["merged (?:on )?the same day(?: (?:they were|it was) (?:opened|created))?", "same[ -]day merges?", "merged on the day (?:they were|it was) (?:opened|created)"]),
            new("no_size", "without a recorded size", "pr.changed_files IS NULL", []),
            // The author's account is deactivated now (users.active = false): "by deactivated authors", "whose author is an inactive user".
            new("author_inactive", "whose author's account is deactivated", "NOT u.active",
                ["(?:written|opened|authored|created|raised|submitted|made) by (?:people|users|developers|engineers|authors|someone|anyone) whose accounts? (?:is|are|was|were|has been|have been) (?:now )?(?:deactivated|inactive|disabled)",
                 "(?:written|opened|authored|created|raised|submitted|made) by (?:now[ -])?(?:deactivated|inactive|disabled) (?:authors?|users?|people|developers?|engineers?|accounts?)",
                 // bare "by": only of authors (a reviewer or a merger is no author: "reviewed by deactivated users" stays refused)
                 "by (?:now[ -])?(?:deactivated|inactive|disabled) authors?",
                 "whose authors? (?:is|are|was|were) (?:now )?(?:an? )?(?:deactivated|inactive|disabled)(?: (?:users?|accounts?|people|persons?))?",
                 "(?:(?:came|come|coming) )?(?:from|of) (?:now[ -])?(?:deactivated|inactive|disabled) (?:authors?|accounts?)"]) { Joins = ["author"] },
            // What says a size attribute was recorded (a share of a threshold on it is taken of these rows: AttributeDef.KnownWhen).
            new("has_changed_files", "with a recorded number of changed files", "pr.changed_files IS NOT NULL",
                KnownWords("(?:number of (?:changed )?files|(?:changed[ -])?files? counts?|count of (?:changed )?files|number of files changed)")),
            new("has_additions", "with recorded lines added", "pr.additions IS NOT NULL", KnownWords("(?:lines added|added lines|number of (?:lines )?added(?: lines)?|additions?(?: counts?)?)")),
            new("has_deletions", "with recorded lines deleted", "pr.deletions IS NOT NULL", KnownWords("(?:lines deleted|deleted lines|lines removed|number of (?:lines )?deleted(?: lines)?|deletions?(?: counts?)?)")),
            new("has_line_counts", "with recorded lines added and deleted", "pr.additions IS NOT NULL AND pr.deletions IS NOT NULL",
                KnownWords("(?:lines added and deleted|additions and deletions|lines changed|number of (?:changed )?lines|line counts?|changed lines)")),
        ],
        Events =
        [
            new("opened", "opened", "created_at", [], ["opened", "created", "raised", "submitted", "new", "open(?:ed)? up", "put up", OpenVerb]),
            new("merged", "merged", "merged_at", ["merged"], ["merged", "merges", "landed", "got merged", "were merged", "was merged", "merge", "merging", "get merged", "gets merged"]),
            // Closing without a merge is an event of its own, dated by closed_at ("PRs closed without merging last month"); the
            // data's status 'closed' is exactly closed_at set and merged_at null (a merged PR is 'merged', closed at its merge).
            new("closed", "closed without merging", "closed_at", ["closed_unmerged"], ClosedUnmerged),
        ],
        DefaultTime = "created_at",
        Key = new("pr.number", "number"),
        KeyJoins = ["repository"],
        Title = new("pr.title", "title"),
        Details = [new("r.name", "repository")],
        CountColumn = "prs",
    };

    /// <summary>
    /// A production deployment made while an incident caused by an earlier production deployment of
    /// the same repository was open (created, not yet resolved): an unplanned fix (DORA rework rate).
    /// </summary>
    public const string ReworkDeployment =
        "EXISTS (SELECT 1 FROM incidents ri JOIN deployments rd ON rd.id = ri.deployment_id " +
        "WHERE rd.repository_id = d.repository_id AND rd.environment = 'production' AND rd.id <> d.id " +
        "AND d.deployed_at > ri.created_at AND (ri.resolved_at IS NULL OR d.deployed_at <= ri.resolved_at))";

    public static EntityDef Deployment { get; } = new()
    {
        Kind = EntityKind.Deployment,
        Name = "deployment",
        Table = "deployments",
        Alias = "d",
        Singular = "deployment",
        Plural = "deployments",
        Synonyms = ["deployments?", "deploys?", "releases?", "rollouts?", "ships?", "deliveries"],
        BaseConditions = [],
        Joins =
        [
            new("repository", "JOIN repositories r ON r.id = d.repository_id"),
            new("team", "JOIN teams t ON t.id = r.team_id", After: "repository"),
        ],
        Attributes =
        [
            new("deployed_at", "deployment time", "d.deployed_at", AttributeType.Timestamp, "", []),
            new("lead_time_hours", "lead time for changes", "d.lead_time_seconds / 3600.0", AttributeType.Number, "hours", [])
                { Requires = ["has_lead_time"], Polarity = Polarity.Duration, KnownWhen = "has_lead_time" },
        ],
        Predicates =
        [
            new("successful", "successful", "d.status = 'success'", []),
            new("has_lead_time", "with a recorded lead time", "d.lead_time_seconds IS NOT NULL", KnownWords("lead time")),
            new("failed_change", "failed, rolled back or followed by an incident",
                "(d.status IN ('failed', 'rolled_back') OR d.id IN (SELECT x.deployment_id FROM incidents x WHERE x.deployment_id IS NOT NULL))",
                ["failed changes?", "change failures?", "that caused (?:a )?failures?"]),
            new("caused_incident", "followed by an incident", "d.id IN (SELECT x.deployment_id FROM incidents x WHERE x.deployment_id IS NOT NULL)",
                ["(?:that |which )?caused (?:an? |any )?incidents?", "with (?:an? )?incidents?", "followed by (?:an? )?incidents?", "that led to (?:an? )?incidents?",
                 "linked to (?:an? )?incidents?", "causing (?:an? )?incidents?"]),
            new("rework_fix", "unplanned fixes of a production incident", ReworkDeployment,
                ["unplanned", "unplanned fix(?:es)?", "fix(?:es)? (?:for|of) (?:an? )?(?:production )?incidents?"]),
        ],
        Events =
        [
            new("deployed", "deployed", "deployed_at", [], ["deployed", "shipped", "released", "went out", "went live", "rolled out"]),
        ],
        DefaultTime = "deployed_at",
        Key = new("d.id", "deployment"),
        Title = new("r.name", "repository"),
        KeyJoins = ["repository"],
        CountColumn = "deployments",
    };

    /// <summary>
    /// The words that tie an incident to its deployment before the deployment's state — required: without them "failed deployments" are
    /// the deployments themselves, never the incidents they caused.
    /// </summary>
    private const string IncidentLink = "(?:(?:were |was )?(?:caused by|from|after|following|linked to|tied to|triggered by) )(?:an? |any |the )?";
    private const string Deploys = "(?:deploy(?:ment)?s?|releases?)";
    private const string Deploy = "(?:deploy(?:ment)?|release)";

    public static EntityDef Incident { get; } = new()
    {
        Kind = EntityKind.Incident,
        Name = "incident",
        Table = "incidents",
        Alias = "x",
        Singular = "incident",
        Plural = "incidents",
        Synonyms = ["incidents?", "outages?", "production incidents?", "pages", "sevs"],
        BaseConditions = [],
        Joins =
        [
            new("deployment", "JOIN deployments d ON d.id = x.deployment_id"),
            new("repository", "JOIN repositories r ON r.id = d.repository_id", After: "deployment"),
            new("team", "JOIN teams t ON t.id = r.team_id", After: "repository"),
        ],
        Attributes =
        [
            new("created_at", "start", "x.created_at", AttributeType.Timestamp, "", []),
            new("resolved_at", "resolution time", "x.resolved_at", AttributeType.Timestamp, "", []),
            new("time_to_restore_hours", "time to restore", "extract(epoch FROM (x.resolved_at - x.created_at)) / 3600.0", AttributeType.Number, "hours",
                ["time to (?:resolve|resolution)", "resolution times?", "recovery", "restoration",
                 "time (?:it )?(?:takes?|took|taken|needed) to (?:resolve|restore|recover|fix|mitigate|close)"])
                { Requires = ["resolved"], Polarity = Polarity.Duration },
        ],
        Predicates =
        [
            new("resolved", "resolved", "x.resolved_at IS NOT NULL", ["resolved", "closed", "fixed", "mitigated"]) { Group = "state" },
            new("unresolved", "not resolved", "x.resolved_at IS NULL",
                ["unresolved", "open", "ongoing", "still open", "not (?:yet )?resolved", "active", "unmitigated"]) { Group = "state" },
            new("linked", "caused by a deployment", "x.deployment_id IS NOT NULL",
                ["caused by (?:a |any )?deploy(?:ment)?s?", "linked to (?:a |any )?deploy(?:ment)?s?", "from (?:a )?deploy(?:ment)?s?", "deployment[ -]related", "change[ -]related",
                 "(?:that )?followed (?:a |any )?deploy(?:ment)?s?(?: of)?", "after (?:a )?deploy(?:ment)?s?(?: of)?", "caused by (?:a |any )?(?:release|change)s?",
                 "(?:came|come|comes|coming) from (?:a |any )?(?:deploy(?:ment)?|release)s?(?: of)?", "triggered by (?:a |any )?(?:deploy(?:ment)?|release)s?",
                 // The deployment said of its repository or team ("the repository whose deployment triggered them", "whose deployments led to
                 // the most incidents", "the incidents its deployments caused", "which team has caused the most incidents"): the link itself.
                 "(?:whose|its|their) (?:deploy(?:ment)?|release)s? (?:triggered|caused|led to|set off)(?: them| it)?",
                 "(?:has |have |had )?caused(?= (?:the )?(?:most|fewest|more|fewer|least) (?:incidents|outages))"]) { Group = "linked" },
            // The status of the deployment that caused the incident, said with that deployment ("incidents caused by failed deployments",
            // "incidents from failed deploys", "linked to a deployment that failed"): a condition on the deployment joined, never a grouping.
            new("after_failed_deployment", "caused by a failed deployment", "d.status = 'failed'",
                [$"{IncidentLink}(?:failed|broken) {Deploys}", $"{IncidentLink}{Deploy} that failed"]) { Joins = ["deployment"], Group = "deployment_status" },
            new("after_rolled_back_deployment", "caused by a rolled-back deployment", "d.status = 'rolled_back'",
                [$"{IncidentLink}rolled[ -]back {Deploys}", $"{IncidentLink}{Deploy} that (?:was|were|got) rolled back"]) { Joins = ["deployment"], Group = "deployment_status" },
            new("after_successful_deployment", "caused by a successful deployment", "d.status = 'success'",
                [$"{IncidentLink}successful {Deploys}"]) { Joins = ["deployment"], Group = "deployment_status" },
            new("unlinked", "not linked to a deployment", "x.deployment_id IS NULL",
                ["(?:aren't|isn't|weren't|wasn't|are not|is not|were not|was not|not) (?:linked to|caused by|tied to|attached to) (?:a |any )?deploy(?:ment)?s?",
                 "without (?:a |any )?deploy(?:ment)?s?(?: attached| linked)?", "unlinked", "with no deploy(?:ment)?s?(?: attached| linked)?",
                 "(?:that )?(?:have|has|had) no deploy(?:ment)?s?(?: attached| linked)?"]) { Group = "linked" },
        ],
        Events =
        [
            new("created", "started", "created_at", [], ["opened", "raised", "reported", "created", "happened", "occurred", "started", "declared", "fired", "new"]),
            new("resolved", "resolved", "resolved_at", ["resolved"], ["resolved", "closed", "fixed", "mitigated", "recovered", "restored",
                "resolve", "close", "fix", "mitigate", "recover", "restore", "resolving", "closing", "fixing", "got resolved", "get resolved", "gets resolved"]),
        ],
        DefaultTime = "created_at",
        Key = new("x.id", "incident"),
        Title = new("x.severity", "severity"),
        CountColumn = "incidents",
    };

    public static IReadOnlyList<EntityDef> All { get; } = [Issue, Epic, PullRequest, Deployment, Incident];
}
