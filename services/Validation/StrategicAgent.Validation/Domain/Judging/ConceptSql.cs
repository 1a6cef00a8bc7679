using System.Collections.Concurrent;
using StrategicAgent.Semantic;
using StrategicAgent.Validation.Parsing;

namespace StrategicAgent.Validation.Domain.Judging;

/// <summary>
/// The semantic layer's definitions read the way the judge reads SQL: each predicate, dimension value,
/// base condition and attribute of an entity is wrapped in a query over the entity's joins, parsed with
/// PostgreSQL's parser and analysed like generated SQL, so "unassigned" becomes the condition
/// <c>issues.assignee_id IS NULL</c> and "time to merge" the columns <c>pull_requests.merged_at, created_at</c>.
/// Built from the definitions, not from the planner's reading of a question.
/// </summary>
public sealed class ConceptSql
{
    private readonly SemanticModel _model;
    private readonly SchemaCatalog _catalog;
    private readonly ConcurrentDictionary<string, IReadOnlyList<SqlCondition>> _conditions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _columns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _via = new(StringComparer.Ordinal);

    public ConceptSql(SemanticModel model, SchemaCatalog catalog)
    {
        _model = model;
        _catalog = catalog;
    }

    private static readonly Lazy<ConceptSql> Shared = new(() => new ConceptSql(SemanticModel.Default, SchemaCatalog.FromPlatformMigrations()));

    /// <summary>The default semantic layer over the platform schema of the migrations.</summary>
    public static ConceptSql Default => Shared.Value;

    public SemanticModel Model => _model;

    public string Table(EntityKind entity) => _model.Entity(entity).Table;

    /// <summary>The conditions a named predicate of the entity stands for ("unassigned" → assignee_id IS NULL).</summary>
    public IReadOnlyList<SqlCondition> Predicate(EntityKind entity, string name) =>
        _model.Entity(entity).Predicate(name) is { } p ? Conditions(entity, p.Sql) : [];

    /// <summary>The condition a dimension value stands for ("sev1" → incidents.severity = 'sev1').</summary>
    public IReadOnlyList<SqlCondition> Value(EntityKind entity, Dimension dimension, string value) =>
        _model.Binding(dimension, entity) is { } b ? Conditions(entity, $"{b.Expression} = '{value.Replace("'", "''", StringComparison.Ordinal)}'") : [];

    /// <summary>What every query of the entity may carry (active rows; an epic's issue type).</summary>
    public IReadOnlyList<SqlCondition> BaseConditions(EntityKind entity) =>
        _model.Entity(entity).BaseConditions.SelectMany(c => Conditions(entity, c)).ToList();

    /// <summary>The columns an attribute's expression reads (empty when it reads a subquery).</summary>
    public IReadOnlyList<string> AttributeColumns(EntityKind entity, string attribute) =>
        _model.Entity(entity).Attribute(attribute) is { } a ? Columns(entity, a.Expression) : [];

    /// <summary>The columns a grouping reads on the entity ("team" → teams.name).</summary>
    public IReadOnlyList<string> DimensionColumns(EntityKind entity, Dimension dimension) =>
        _model.Binding(dimension, entity) is { } b ? Columns(entity, b.Expression) : [];

    /// <summary>
    /// The entity's own column a grouping's binding reaches its table by ("reporter" → issues.reporter_id, "assignee" → issues.assignee_id):
    /// two bindings may read the same label column (users.name) through different keys. Null when the binding needs no join.
    /// </summary>
    public string? DimensionVia(EntityKind entity, Dimension dimension) =>
        _model.Binding(dimension, entity) is { Joins: [var first, ..] } && _model.Entity(entity) is var e && e.Join(first) is { } join
            ? _via.GetOrAdd(entity + "|" + first, _ =>
                Analyze($"SELECT 1 FROM {e.Table} {e.Alias} {join.Sql}")?.Conditions.Where(c => c.IsJoin).SelectMany(c => c.Columns.Concat(c.OtherColumns))
                    .FirstOrDefault(c => c.StartsWith(e.Table + ".", StringComparison.Ordinal)))
            : null;

    /// <summary>The columns an SQL expression over the entity's aliases reads.</summary>
    public IReadOnlyList<string> ExpressionColumns(EntityKind entity, string expression) => Columns(entity, expression);

    /// <summary>The columns of the entity's listing key and title (issues.key, issues.summary …).</summary>
    public IReadOnlyList<string> KeyColumns(EntityKind entity)
    {
        var e = _model.Entity(entity);
        return [.. Columns(entity, e.Key.Expression), .. e.Title is { } t ? Columns(entity, t.Expression) : [], $"{e.Table}.id"];
    }

    /// <summary>Every timestamp attribute of the entity, as columns.</summary>
    public IReadOnlyList<string> TimeColumns(EntityKind entity) =>
        _model.Entity(entity).Attributes.Where(a => a.Type == AttributeType.Timestamp).SelectMany(a => Columns(entity, a.Expression)).Distinct().ToList();

    public IReadOnlyList<string> TimeColumn(EntityKind entity, string attribute) =>
        _model.Entity(entity).Attribute(attribute) is { Type: AttributeType.Timestamp } a ? Columns(entity, a.Expression) : [];

    /// <summary>The conditions inside a custom measure's columns and joins (epic progress counts children Done).</summary>
    public IReadOnlyList<SqlCondition> CustomConditions(MetricDef metric) =>
        metric.Custom is not { } c ? [] : _conditions.GetOrAdd("custom|" + metric.Name, _ =>
        {
            var shape = Analyze($"SELECT {string.Join(", ", c.Columns.Select(x => x.Expression))} {From(metric.Entity)} {string.Join(" ", c.Joins)} GROUP BY {string.Join(", ", c.GroupBy)}");
            return shape?.Conditions.Where(x => !x.IsJoin).ToList() ?? [];
        });

    /// <summary>Parses <c>SELECT 1 FROM entity … WHERE sql</c> and returns its WHERE conditions.</summary>
    public IReadOnlyList<SqlCondition> Conditions(EntityKind entity, string sql) =>
        _conditions.GetOrAdd(entity + "|" + sql, _ =>
        {
            var shape = Analyze($"SELECT 1 {From(entity)} WHERE {sql}");
            return shape?.Conditions.Where(c => c.Context == ConditionContext.Where && !c.IsJoin).ToList() ?? [];
        });

    private IReadOnlyList<string> Columns(EntityKind entity, string expression) =>
        _columns.GetOrAdd(entity + "|" + expression, _ =>
            Analyze($"SELECT 1 {From(entity)} ORDER BY {expression}")?.OrderKeys.FirstOrDefault()?.Columns ?? []);

    private string From(EntityKind entity)
    {
        var e = _model.Entity(entity);
        var joins = new List<string>(e.BaseJoins);
        var added = new HashSet<string>(StringComparer.Ordinal);
        void Add(JoinDef j)
        {
            if (j.After is { } after && e.Join(after) is { } first)
            {
                Add(first);
            }
            if (added.Add(j.Name))
            {
                joins.Add(j.Sql);
            }
        }
        foreach (var j in e.Joins)
        {
            Add(j);
        }
        return $"FROM {e.Table} {e.Alias} {string.Join(" ", joins)}";
    }

    private QueryShape? Analyze(string sql)
    {
        using var parsed = PgParser.Parse(sql);
        if (parsed.Error is not null || parsed.Tree is null)
        {
            return null;
        }
        return SqlAnalyzer.Analyze(parsed.Tree.RootElement, parsed.Source, _catalog, new StaticAnalysisOptions { RequireLimit = false }).Shape;
    }
}
