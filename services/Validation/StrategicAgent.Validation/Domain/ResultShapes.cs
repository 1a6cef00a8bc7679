using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FluentValidation;

namespace StrategicAgent.Validation.Domain;

public sealed record RowError(int Row, string Field, string Message);

public sealed record ResultValidation(bool Valid, IReadOnlyList<RowError> Errors, int RowsChecked);

/// <summary>One result row as the agent executed it: values in column order (a JSON array).</summary>
public sealed class ResultRow
{
    private readonly Dictionary<string, JsonElement> _values;

    private ResultRow(int index, Dictionary<string, JsonElement> values, int arity, string? parseError)
    {
        Index = index;
        _values = values;
        Arity = arity;
        ParseError = parseError;
    }

    public int Index { get; }

    /// <summary>Number of values in the row (-1 when it is not a JSON array).</summary>
    public int Arity { get; }

    public string? ParseError { get; }

    /// <summary>The value of a column; Undefined when absent.</summary>
    public JsonElement Value(string column) => _values.TryGetValue(column, out var v) ? v : default;

    public static ResultRow Parse(int index, string json, IReadOnlyList<string> columns)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return new ResultRow(index, [], -1, "the row is not a JSON array of values");
            }
            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var i = 0;
            foreach (var v in doc.RootElement.EnumerateArray())
            {
                if (i < columns.Count)
                {
                    values[columns[i]] = v.Clone();
                }
                i++;
            }
            return new ResultRow(index, values, i, null);
        }
        catch (JsonException e)
        {
            return new ResultRow(index, [], -1, "the row is not valid JSON: " + e.Message);
        }
    }
}

/// <summary>The column list of a result, checked against a shape before its rows.</summary>
public sealed record ResultHeader(string Shape, IReadOnlyList<string> Columns);

/// <summary>
/// Result-shape validation with FluentValidation: a header validator (the columns a shape needs) and
/// a row validator per (shape, column list) built from the shape's field rules — every row checked,
/// every error with its row and field.
/// </summary>
public sealed class ResultShapeValidator
{
    public static readonly IReadOnlyList<string> Shapes = ["team_analysis", "project_analysis", "dora_metrics", "rework_analysis", "generic"];

    private readonly ConcurrentDictionary<string, RowValidator> _rowValidators = new(StringComparer.Ordinal);
    private readonly HeaderValidator _headerValidator = new();

    /// <summary>Caps the work per call; the agent caps result rows far lower.</summary>
    public int MaxRows { get; init; } = 100_000;

    /// <summary>Caps the rules built per call (one per column): 10,000 columns took over 15 s.</summary>
    public int MaxColumns { get; init; } = 250;

    /// <summary>Row validators kept for reuse; past this many column lists a new one is built per call (no unbounded cache a caller can grow).</summary>
    private const int MaxCachedValidators = 256;

    public ResultValidation Validate(string shape, IReadOnlyList<string> columns, IReadOnlyList<string> rowsJson)
    {
        shape = string.IsNullOrWhiteSpace(shape) ? "generic" : shape.Trim().ToLowerInvariant();
        if (!Shapes.Contains(shape))
        {
            throw new InvalidSqlInputException($"Unknown result shape \"{shape}\"; use one of {string.Join(", ", Shapes)}.");
        }
        if (rowsJson.Count > MaxRows)
        {
            throw new InvalidSqlInputException($"{rowsJson.Count} rows is more than the {MaxRows} a call may check.");
        }
        if (columns.Count > MaxColumns)
        {
            throw new InvalidSqlInputException($"{columns.Count} columns is more than the {MaxColumns} a call may check.");
        }
        var errors = new List<RowError>();
        var header = _headerValidator.Validate(new ResultHeader(shape, columns));
        // Row -1: the column list itself.
        errors.AddRange(header.Errors.Select(e => new RowError(-1, e.PropertyName, e.ErrorMessage)));
        if (errors.Count == 0)
        {
            var key = shape + "\u0001" + string.Join('\u0001', columns);
            var validator = _rowValidators.TryGetValue(key, out var known) ? known
                : _rowValidators.Count < MaxCachedValidators ? _rowValidators.GetOrAdd(key, _ => new RowValidator(shape, columns))
                : new RowValidator(shape, columns);
            for (var i = 0; i < rowsJson.Count; i++)
            {
                var result = validator.Validate(ResultRow.Parse(i, rowsJson[i], columns));
                errors.AddRange(result.Errors.Select(e => new RowError(i, e.PropertyName, e.ErrorMessage)));
            }
        }
        return new ResultValidation(errors.Count == 0, errors, errors.Any(e => e.Row < 0) ? 0 : rowsJson.Count);
    }

    // ------------------------------------------------------------ shape rules

    /// <summary>What a column's values must be, decided from the shape and the column's name.</summary>
    internal enum ValueKind
    {
        Any,
        Label,        // non-empty text (a team, project, repository …)
        Time,         // a date/timestamp (text) or a number (epoch/ordinal)
        Count,        // integer ≥ 0
        NonNegative,  // number ≥ 0 (durations, averages of counts)
        Fraction,     // number in [0, 1] (rates, ratios, probabilities)
        Percent,      // number in [0, 100]
        Number,       // any finite number
    }

    private static readonly string[] TeamLabels = ["team", "team_name"];
    private static readonly string[] ProjectLabels = ["project", "project_key", "project_name", "key"];
    private static readonly string[] DoraMetrics =
        ["deployment_frequency", "deployments", "deployment_count", "lead_time", "change_failure_rate", "mttr", "time_to_restore", "failed_deployments"];
    private static readonly string[] ReworkIdentity = ["pr", "pull_request", "pull_request_id", "number", "title", "repository", "author"];
    private static readonly string[] ReworkMetrics = ["rework", "review_cycles", "changed_files", "probability", "risk"];

    internal static ValueKind KindOf(string shape, string column)
    {
        var c = column.ToLowerInvariant();
        if (shape == "generic")
        {
            return ValueKind.Any;
        }
        if (TeamLabels.Contains(c) || ProjectLabels.Contains(c) || c is "repository" or "environment" or "author" or "title" or "severity" or "issue_type" or "status" or "name")
        {
            return ValueKind.Label;
        }
        if (c is "period" or "week" or "month" or "day" or "quarter" or "year" or "date" || c.EndsWith("_at", StringComparison.Ordinal))
        {
            return ValueKind.Time;
        }
        if (c.Contains("pct", StringComparison.Ordinal) || c.Contains("percent", StringComparison.Ordinal))
        {
            return ValueKind.Percent;
        }
        if (c.Contains("rate", StringComparison.Ordinal) && !c.Contains("frequency", StringComparison.Ordinal)
            || c.Contains("ratio", StringComparison.Ordinal) || c.Contains("share", StringComparison.Ordinal)
            || c.Contains("probability", StringComparison.Ordinal) || c.Contains("risk", StringComparison.Ordinal)
            || c.Contains("confidence", StringComparison.Ordinal))
        {
            return ValueKind.Fraction;
        }
        if (c.EndsWith("count", StringComparison.Ordinal) || c.StartsWith("num_", StringComparison.Ordinal) || c is "number" or "issues" or "deployments"
            or "incidents" or "prs" or "pull_requests" or "stories" or "bugs" or "review_cycles" or "changed_files" or "commits" or "failed_deployments"
            || c.EndsWith("_issues", StringComparison.Ordinal) || c.EndsWith("_prs", StringComparison.Ordinal))
        {
            return ValueKind.Count;
        }
        if (c.Contains("days", StringComparison.Ordinal) || c.Contains("hours", StringComparison.Ordinal) || c.Contains("seconds", StringComparison.Ordinal)
            || c.Contains("minutes", StringComparison.Ordinal) || c.Contains("lead_time", StringComparison.Ordinal) || c.Contains("mttr", StringComparison.Ordinal)
            || c.Contains("duration", StringComparison.Ordinal) || c.Contains("points", StringComparison.Ordinal) || c.Contains("frequency", StringComparison.Ordinal)
            || c.Contains("velocity", StringComparison.Ordinal) || c.Contains("time_to_restore", StringComparison.Ordinal) || c.StartsWith("avg_", StringComparison.Ordinal))
        {
            return ValueKind.NonNegative;
        }
        return ValueKind.Number;
    }

    private sealed class HeaderValidator : AbstractValidator<ResultHeader>
    {
        public HeaderValidator()
        {
            RuleFor(h => h.Columns).NotEmpty().OverridePropertyName("columns").WithMessage("The result has no columns.");
            RuleFor(h => h.Columns).Must(c => c.Distinct(StringComparer.Ordinal).Count() == c.Count)
                .OverridePropertyName("columns").WithMessage("Column names must be unique; alias duplicated columns.");
            RuleFor(h => h.Columns).Must(c => c.Any(x => TeamLabels.Contains(x, StringComparer.OrdinalIgnoreCase)))
                .When(h => h.Shape == "team_analysis").OverridePropertyName("team")
                .WithMessage("A team_analysis result needs a team column (team or team_name).");
            RuleFor(h => h.Columns).Must(c => c.Any(x => ProjectLabels.Contains(x, StringComparer.OrdinalIgnoreCase)))
                .When(h => h.Shape == "project_analysis").OverridePropertyName("project")
                .WithMessage("A project_analysis result needs a project column (project, project_key, project_name or key).");
            RuleFor(h => h.Columns).Must(c => c.Any(x => DoraMetrics.Any(m => x.Contains(m, StringComparison.OrdinalIgnoreCase))))
                .When(h => h.Shape == "dora_metrics").OverridePropertyName("metrics")
                .WithMessage("A dora_metrics result needs at least one DORA metric column (deployment_frequency, lead_time…, change_failure_rate, mttr…).");
            RuleFor(h => h.Columns).Must(c => c.Any(x => ReworkIdentity.Contains(x, StringComparer.OrdinalIgnoreCase)))
                .When(h => h.Shape == "rework_analysis").OverridePropertyName("pull_request")
                .WithMessage("A rework_analysis result needs a pull request or repository column (number, title, pull_request_id, repository…).");
            RuleFor(h => h.Columns).Must(c => c.Any(x => ReworkMetrics.Any(m => x.Contains(m, StringComparison.OrdinalIgnoreCase))))
                .When(h => h.Shape == "rework_analysis").OverridePropertyName("metrics")
                .WithMessage("A rework_analysis result needs a rework metric column (rework…, review_cycles, changed_files, probability, risk).");
            RuleFor(h => h.Columns).Must(c => c.Any(x => ResultShapeValidator.KindOf("team_analysis", x) is ValueKind.Count or ValueKind.NonNegative or ValueKind.Fraction or ValueKind.Percent or ValueKind.Number))
                .When(h => h.Shape is "team_analysis" or "project_analysis").OverridePropertyName("metrics")
                .WithMessage("The result has no metric column next to its label.");
        }
    }

    private sealed class RowValidator : AbstractValidator<ResultRow>
    {
        public RowValidator(string shape, IReadOnlyList<string> columns)
        {
            RuleFor(r => r.ParseError).Null().OverridePropertyName("row").WithMessage(r => r.ParseError ?? "");
            RuleFor(r => r.Arity).Equal(columns.Count).When(r => r.ParseError is null).OverridePropertyName("row")
                .WithMessage(r => $"The row has {r.Arity} values for {columns.Count} columns.");

            foreach (var column in columns)
            {
                var kind = KindOf(shape, column);
                switch (kind)
                {
                    case ValueKind.Any:
                        RuleFor(r => r.Value(column)).Must(v => v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
                            .OverridePropertyName(column).When(r => r.ParseError is null && r.Arity == columns.Count)
                            .WithMessage("Values must be scalars (text, number, boolean or null), not nested JSON.");
                        break;
                    case ValueKind.Label:
                        RuleFor(r => r.Value(column)).Must(v => v.ValueKind == JsonValueKind.String && v.GetString()!.Trim().Length > 0
                                                                || v.ValueKind == JsonValueKind.Number)
                            .OverridePropertyName(column).When(r => r.ParseError is null && r.Arity == columns.Count)
                            .WithMessage(r => $"\"{column}\" must be a non-empty label, got {Show(r.Value(column))}.");
                        break;
                    case ValueKind.Time:
                        RuleFor(r => r.Value(column)).Must(v => v.ValueKind == JsonValueKind.Number
                                                                || v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
                                                                || v.ValueKind == JsonValueKind.Null)
                            .OverridePropertyName(column).When(r => r.ParseError is null && r.Arity == columns.Count)
                            .WithMessage(r => $"\"{column}\" must be a date or timestamp, got {Show(r.Value(column))}.");
                        break;
                    default:
                        var (min, max, integer) = kind switch
                        {
                            ValueKind.Count => (0.0, double.MaxValue, true),
                            ValueKind.NonNegative => (0.0, double.MaxValue, false),
                            ValueKind.Fraction => (0.0, 1.0, false),
                            ValueKind.Percent => (0.0, 100.0, false),
                            _ => (double.MinValue, double.MaxValue, false),
                        };
                        RuleFor(r => r.Value(column)).Must(v => IsNumberIn(v, min, max, integer))
                            .OverridePropertyName(column).When(r => r.ParseError is null && r.Arity == columns.Count)
                            .WithMessage(r => $"\"{column}\" must be {Describe(kind)}, got {Show(r.Value(column))}.");
                        break;
                }
            }
        }

        /// <summary>Numbers may arrive as JSON numbers or as numeric text (PostgreSQL numeric); null is "no value" and allowed.</summary>
        private static bool IsNumberIn(JsonElement v, double min, double max, bool integer)
        {
            double d;
            if (v.ValueKind == JsonValueKind.Null)
            {
                return true;
            }
            if (v.ValueKind == JsonValueKind.Number)
            {
                d = v.GetDouble();
            }
            else if (v.ValueKind != JsonValueKind.String || !double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                return false;
            }
            return double.IsFinite(d) && d >= min && d <= max && (!integer || Math.Abs(d - Math.Round(d)) < 1e-9);
        }

        private static string Describe(ValueKind kind) => kind switch
        {
            ValueKind.Count => "a whole number ≥ 0",
            ValueKind.NonNegative => "a number ≥ 0",
            ValueKind.Fraction => "a fraction between 0 and 1",
            ValueKind.Percent => "a percentage between 0 and 100",
            _ => "a finite number",
        };

        private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.Undefined ? "nothing" : v.GetRawText();
    }
}
