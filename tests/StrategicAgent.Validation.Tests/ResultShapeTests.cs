using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

public sealed class ResultShapeTests
{
    private readonly ResultShapeValidator _validator = new();

    [Fact]
    public void Good_rows_of_every_shape_pass()
    {
        Assert.True(_validator.Validate("team_analysis", ["team", "issues", "avg_lead_time_days", "rework_ratio"],
            ["[\"Payments\", 12, 3.5, 0.25]", "[\"Core\", 0, null, \"0.1\"]"]).Valid);
        Assert.True(_validator.Validate("project_analysis", ["project_key", "open_issues", "story_points"], ["[\"PAY\", 4, 21.5]"]).Valid);
        Assert.True(_validator.Validate("dora_metrics", ["month", "deployment_frequency", "lead_time_hours", "change_failure_rate", "mttr_hours"],
            ["[\"2026-09-01T00:00:00Z\", 3.2, 20.5, 0.12, 4]"]).Valid);
        Assert.True(_validator.Validate("rework_analysis", ["number", "title", "rework_probability", "review_cycles", "changed_files"],
            ["[101, \"Fix login\", 0.71, 3, 14]"]).Valid);
        Assert.True(_validator.Validate("generic", ["a", "b"], ["[1, \"x\"]", "[null, true]"]).Valid);
        Assert.True(_validator.Validate("", ["a"], ["[1]"]).Valid);
    }

    [Fact]
    public void Every_bad_row_and_field_is_listed()
    {
        var result = _validator.Validate("team_analysis", ["team", "issues", "avg_lead_time_days", "change_failure_rate"],
        [
            "[\"Payments\", 12, 3.5, 0.1]",
            "[\"\", 1.5, -2, 1.7]",
            "{\"team\": \"x\"}",
            "[\"Core\", 3]",
            "not json",
        ]);
        Assert.False(result.Valid);
        Assert.Equal(5, result.RowsChecked);
        Assert.DoesNotContain(result.Errors, e => e.Row == 0);
        Assert.Equal(["avg_lead_time_days", "change_failure_rate", "issues", "team"], result.Errors.Where(e => e.Row == 1).Select(e => e.Field).Order());
        Assert.Contains(result.Errors, e => e.Row == 2 && e.Field == "row" && e.Message.Contains("JSON array", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Row == 3 && e.Field == "row" && e.Message.Contains("2 values for 4 columns", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Row == 4 && e.Field == "row");
        Assert.Contains(result.Errors, e => e.Row == 1 && e.Field == "issues" && e.Message.Contains("whole number", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_columns_are_reported_on_the_header()
    {
        var result = _validator.Validate("team_analysis", ["project", "issues"], ["[\"PAY\", 1]"]);
        Assert.False(result.Valid);
        var e = Assert.Single(result.Errors);
        Assert.Equal(-1, e.Row);
        Assert.Equal("team", e.Field);
        Assert.False(_validator.Validate("dora_metrics", ["team", "issues"], []).Valid);
        Assert.False(_validator.Validate("rework_analysis", ["number"], []).Valid);
        Assert.False(_validator.Validate("generic", ["a", "a"], []).Valid);
    }

    [Fact]
    public void Generic_rejects_nested_values()
    {
        var result = _validator.Validate("generic", ["a"], ["[{\"x\": 1}]"]);
        Assert.Equal("a", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public void Unknown_shape_is_invalid_input()
    {
        Assert.Throws<InvalidSqlInputException>(() => _validator.Validate("sales", ["a"], []));
    }
}
