using System.Globalization;
using System.Text;
using StrategicAgent.Agent.Domain.Loop;
using StrategicAgent.Agent.Domain.Planning;

namespace StrategicAgent.Agent.Ai;

/// <summary>The generator's and the judge's prompts: catalog, memory, feedback. Plain strings, testable.</summary>
public static class PromptBuilder
{
    public static string GeneratorSystem(long clientId) => $"""
        You write one PostgreSQL SELECT statement that answers an engineering-analytics question.
        Rules:
        - Exactly one read-only statement (SELECT or WITH ... SELECT). Never INSERT, UPDATE, DELETE, DDL or functions with side effects.
        - Filter every tenant table on client_id = {clientId.ToString(CultureInfo.InvariantCulture)} (the caller's tenant). Never query another client.
        - Only use the tables and columns below. Status semantics: issues.status_id -> statuses.status_mapping_id -> status_mappings.status_to in ('To Do','In Progress','Done'). Issue type via issuetypes.original_name.
        - End with a LIMIT (at most 500 rows). Name result columns in snake_case; put the grouping column first.
        - Prefer the metric definitions of the catalog below. Use the tools to look up metrics, columns or names when unsure.
        - Reply with the SQL in a ```sql code block and nothing else.

        Schema:
        {SemanticModel.SchemaSummary}
        Metric catalog (name: definition):
        {string.Join("\n", SemanticModel.Default.Metrics.Select(m => $"- {m.Name}: {m.Definition}. Unit {m.Unit}."))}
        """;

    public static string GeneratorUser(GenerationRequest r)
    {
        var sb = new StringBuilder();
        sb.Append("Question: ").Append(r.Question).Append('\n');
        if (r.Plan is not null)
        {
            sb.Append("The planner reads it as: ").Append(r.Plan.Describe()).Append('\n');
            if (r.Plan.Window is { } w)
            {
                sb.Append(CultureInfo.InvariantCulture, $"Time window: {w.From:yyyy-MM-dd} (inclusive) to {w.To:yyyy-MM-dd} (exclusive).\n");
            }
        }
        if (r.Memory.Count > 0)
        {
            sb.Append("\nSimilar past cases from learning memory (use the fixes that worked):\n");
            foreach (var h in r.Memory)
            {
                if (h.Kind == "success")
                {
                    sb.Append(CultureInfo.InvariantCulture, $"- Example for \"{h.Intent}\": {h.Fix}\n");
                }
                else
                {
                    sb.Append(CultureInfo.InvariantCulture, $"- Past error {h.ErrorType} for \"{h.Intent}\": {h.Issue}\n  Failed SQL: {h.FailedSql}\n  Fix that worked (confidence {h.Confidence:0.00}): {h.Fix}\n");
                }
            }
        }
        if (r.Feedback.Count > 0)
        {
            sb.Append("\nYour previous attempts failed validation. Fix every problem below:\n");
            foreach (var f in r.Feedback)
            {
                sb.Append(CultureInfo.InvariantCulture, $"- stage {f.Stage.Name()}, error {f.Code}: {f.Message}");
                if (f.Position > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" at position {f.Position}");
                }
                if (f.Suggestions.Count > 0)
                {
                    sb.Append(" - suggestions: ").AppendJoin(", ", f.Suggestions);
                }
                sb.Append('\n');
                if (!string.IsNullOrEmpty(f.FailedSql))
                {
                    sb.Append("  failed SQL: ").Append(f.FailedSql.ReplaceLineEndings(" ")).Append('\n');
                }
            }
        }
        sb.Append(CultureInfo.InvariantCulture, $"\nAttempt {r.Attempt}. Reply with one ```sql block.");
        return sb.ToString();
    }

    public const string JudgeSystem = """
        You check whether a PostgreSQL query answers a question about engineering analytics.
        Reply with a JSON object only: {"valid": true|false, "justification": "<one sentence>", "confidence": <0..1>}.
        """;

    public static string JudgeUser(string question, string sql, QueryPlan? plan) =>
        $"Question: {question}\n" + (plan is null ? "" : $"Intended: {plan.Describe()}\n") + $"SQL:\n{sql}\n";
}
