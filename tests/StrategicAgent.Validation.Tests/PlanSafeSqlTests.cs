using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The text the cost check plans (no database here; PlanTimeSafetyTests plan it on the replica):
/// every literal a typed parameter, every argument-less call behind a sub-select, positions and
/// type modifiers as written, positions in errors mapped back to the caller's SQL.
/// </summary>
public sealed class PlanSafeSqlTests
{
    private static PlanSafeSql Safe(string sql, bool share = true)
    {
        var safe = PlanSafeSql.Create(sql, share);
        Assert.True(safe.Error is null, safe.Error);
        return safe;
    }

    [Fact]
    public void Literals_become_parameters_typed_as_sql_types_them()
    {
        var safe = Safe("SELECT repeat('x', 1000000000), 1.5, 10000000000, -7, true, B'101', E'a\\'b', $q$it's$q$ FROM issues");
        Assert.Equal("SELECT repeat($1, $2), $3, $4, $5, $6, $7, $8, $9 FROM issues", safe.Text);
        Assert.Equal(["unknown", "int4", "numeric", "int8", "int4", "bool", "varbit", "unknown", "unknown"], safe.ParameterTypes);
        Assert.Equal("1000000000", safe.LiteralOf(2));
        Assert.Equal("-7", safe.LiteralOf(5));
    }

    [Fact]
    public void Positions_row_counts_type_modifiers_null_and_keywords_stay_as_written()
    {
        var safe = Safe("""
            SELECT DISTINCT ON (1) p.key, count(*) AS n, NULL::varchar(10), extract(year FROM i.created), EXTRACT('epoch' FROM i.created)
            FROM issues i JOIN projects p ON p.id = i.project_id
            WHERE i.client_id = 3
            GROUP BY 1, ROLLUP (2) ORDER BY 2 DESC LIMIT 10 OFFSET 5
            """);
        Assert.Contains("DISTINCT ON (1)", safe.Text);
        Assert.Contains("NULL::varchar(10)", safe.Text);
        Assert.Contains("extract(year FROM i.created)", safe.Text);
        Assert.Contains("EXTRACT('epoch' FROM i.created)", safe.Text);
        Assert.Contains("WHERE i.client_id = $1", safe.Text);
        Assert.Contains("GROUP BY 1, ROLLUP (2) ORDER BY 2 DESC LIMIT 10 OFFSET 5", safe.Text);
        Assert.Equal(["int4"], safe.ParameterTypes);
    }

    [Fact]
    public void Generate_series_keeps_its_numeric_bounds_so_the_planner_sees_its_size()
    {
        var safe = Safe("SELECT count(*) FROM generate_series(1, 100000000000) g(n), generate_series(now() - interval '1 year', now(), interval '1 day') d(day)");
        Assert.Equal("SELECT count(*) FROM generate_series(1, 100000000000) g(n), generate_series((SELECT now()) - $1, (SELECT now()), $2) d(day)", safe.Text);
    }

    [Fact]
    public void Typed_literals_become_one_parameter_of_their_type()
    {
        var safe = Safe("SELECT count(*) FROM issues WHERE created >= DATE '2024-01-01' AND created > now() - INTERVAL '2' DAY AND updated > TIMESTAMP WITH TIME ZONE '2024-02-01 10:00' - interval '1' hour to minute");
        Assert.Equal("SELECT count(*) FROM issues WHERE created >= $1 AND created > (SELECT now()) - $2 AND updated > $3 - $4", safe.Text);
        Assert.Equal(["DATE", "INTERVAL DAY", "TIMESTAMP WITH TIME ZONE", "interval hour to minute"], safe.ParameterTypes);
    }

    [Fact]
    public void Calls_without_arguments_and_sql_value_functions_go_behind_a_sub_select_but_aggregates_and_windows_do_not()
    {
        var safe = Safe("SELECT pg_catalog.pi ( ), current_user, CURRENT_TIME(3), count(*), row_number() OVER (ORDER BY id), now() FROM issues LIMIT 5");
        Assert.Equal("SELECT (SELECT pg_catalog.pi ( )), (SELECT current_user), (SELECT CURRENT_TIME(3)), count(*), row_number() OVER (ORDER BY id), (SELECT now()) FROM issues LIMIT 5", safe.Text);
        Assert.Empty(safe.ParameterTypes);
    }

    [Fact]
    public void Equal_literals_share_a_parameter_unless_told_not_to()
    {
        const string sql = "SELECT date_trunc('month', created), count(*) FROM issues GROUP BY date_trunc('month', created)";
        var shared = Safe(sql);
        Assert.Equal("SELECT date_trunc($1, created), count(*) FROM issues GROUP BY date_trunc($1, created)", shared.Text);
        Assert.True(shared.SharedDuplicates);
        var apart = Safe(sql, share: false);
        Assert.Equal("SELECT date_trunc($1, created), count(*) FROM issues GROUP BY date_trunc($2, created)", apart.Text);
        Assert.False(apart.SharedDuplicates);
    }

    [Fact]
    public void The_callers_own_parameters_keep_their_numbers_and_literals_count_on_from_there()
    {
        var safe = Safe("SELECT key FROM issues WHERE client_id = $2 AND story_points > 3 LIMIT $1");
        Assert.Equal("SELECT key FROM issues WHERE client_id = $2 AND story_points > $3 LIMIT $1", safe.Text);
        Assert.Equal(["unknown", "unknown", "int4"], safe.ParameterTypes);
        Assert.Equal(2, safe.UserParameterCount);
        Assert.Null(safe.LiteralOf(1));
    }

    [Fact]
    public void Comments_quoted_names_and_strings_that_look_like_sql_are_left_alone()
    {
        var safe = Safe("SELECT \"weird 'name\" /* 'not a literal' 5 */, 'it''s -- fine' -- 7\n, 'a'\n  'b' FROM issues LIMIT 1");
        Assert.Equal("SELECT \"weird 'name\" /* 'not a literal' 5 */, $1 -- 7\n, $2 FROM issues LIMIT 1", safe.Text);
        Assert.Equal("'a'\n  'b'", safe.LiteralOf(2));
    }

    [Fact]
    public void Positions_in_the_planned_text_map_back_to_the_callers_sql()
    {
        const string sql = "SELECT count(*) FROM issues i\nWHERE i.client_id = 1 AND i.key = 42 AND i.created < now()";
        var safe = Safe(sql);
        Assert.Equal("SELECT count(*) FROM issues i\nWHERE i.client_id = $1 AND i.key = $2 AND i.created < (SELECT now())", safe.Text);
        // The operator before a parameter, the parameter itself, and text after a wrapped call.
        Assert.Equal(sql.IndexOf("= 42", StringComparison.Ordinal) + 1, safe.OriginalPosition(safe.Text.IndexOf("= $2", StringComparison.Ordinal)));
        Assert.Equal(sql.IndexOf("42", StringComparison.Ordinal) + 1, safe.OriginalPosition(safe.Text.IndexOf("$2", StringComparison.Ordinal)));
        Assert.Equal(sql.IndexOf("now()", StringComparison.Ordinal) + 1, safe.OriginalPosition(safe.Text.IndexOf("now()", StringComparison.Ordinal)));
        Assert.Equal(sql.Length, safe.OriginalPosition(safe.Text.Length - 2));
        Assert.Equal((2, 35), safe.LineColumn(sql.IndexOf("42", StringComparison.Ordinal) + 1));
    }

    [Fact]
    public void Non_ascii_text_keeps_its_positions()
    {
        const string sql = "SELECT 'ÄÖü 🙂' AS label, summary FROM issues WHERE summary = 'naïve' LIMIT 3";
        var safe = Safe(sql);
        Assert.Equal("SELECT $1 AS label, summary FROM issues WHERE summary = $2 LIMIT 3", safe.Text);
        Assert.Equal(sql.IndexOf("'naïve'", StringComparison.Ordinal) + 1, safe.OriginalPosition(safe.Text.IndexOf("$2", StringComparison.Ordinal)));
    }
}
