using StrategicAgent.Validation.Domain;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>Static analysis details the corpus does not pin down: messages, suggestions, positions, lists.</summary>
public sealed class AnalyzerTests
{
    private static ValidationReport Check(string sql, ValidationOptions? options = null) =>
        TestCatalog.Validator(options).CheckSql(sql, TestCatalog.Schema, collectShape: true);

    [Fact]
    public void Unknown_table_suggests_the_closest_real_names()
    {
        var f = Assert.Single(Check("SELECT count(*) FROM isues WHERE client_id = 1").Errors);
        Assert.Equal(Codes.UnknownTable, f.Code);
        Assert.Equal("issues", f.Suggestions[0]);
        Assert.Contains("Did you mean \"issues\"", f.Message);
        Assert.Equal(22, f.Position);
    }

    [Fact]
    public void Unknown_column_suggests_columns_of_the_right_table_with_its_alias()
    {
        var report = Check("SELECT avg(i.story_point) FROM issues i WHERE i.client_id = 1");
        var f = Assert.Single(report.Errors);
        Assert.Equal(Codes.UnknownColumn, f.Code);
        Assert.Equal("i.story_points", f.Suggestions[0]);
        Assert.Equal("SELECT avg(".Length + 1, f.Position);
        Assert.Equal(1, f.Line);
    }

    [Fact]
    public void Unqualified_unknown_column_suggests_across_the_from_clause()
    {
        var f = Assert.Single(Check("SELECT t.name, count(*) FROM teams t JOIN users u ON u.team_id = t.id WHERE t.client_id = 1 GROUP BY t.name HAVING max(emial) IS NOT NULL").Errors);
        Assert.Contains("u.email", f.Suggestions);
    }

    [Fact]
    public void Missing_from_entry_names_the_tables_in_scope()
    {
        var f = Assert.Single(Check("SELECT count(*) FROM issues i WHERE i.client_id = 1 AND iss.key = 'x'").Errors);
        Assert.Equal(Codes.UnknownTable, f.Code);
        Assert.Contains("missing FROM-clause entry", f.Message);
        Assert.Contains("i", f.Suggestions);
    }

    [Fact]
    public void Reports_tables_and_qualified_columns_read()
    {
        var report = Check("SELECT p.key, count(*) FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.client_id = 1 GROUP BY p.key");
        Assert.True(report.Valid);
        Assert.Equal(["issues", "projects"], report.Tables);
        Assert.Equal(["issues.client_id", "issues.project_id", "projects.id", "projects.key"], report.Columns);
    }

    [Fact]
    public void Write_hidden_in_a_cte_points_at_the_cte()
    {
        const string sql = "WITH x AS (SELECT 1), y AS (DELETE FROM issues RETURNING id) SELECT count(*) FROM y";
        var f = Assert.Single(Check(sql).Errors);
        Assert.Equal(Codes.NotReadOnly, f.Code);
        Assert.Contains("\"y\"", f.Message);
        Assert.Equal(sql.IndexOf("y AS", StringComparison.Ordinal) + 1, f.Position);
    }

    [Fact]
    public void Second_statement_position_is_reported()
    {
        const string sql = "SELECT 1;\nDROP TABLE issues";
        var report = Check(sql);
        var multi = report.Errors.Single(e => e.Code == Codes.MultipleStatements);
        Assert.Equal(2, multi.Line);
        Assert.Contains(report.Errors, e => e.Code == Codes.NotReadOnly && e.Message.Contains("DROP", StringComparison.Ordinal));
    }

    [Fact]
    public void Forbidden_function_message_says_why()
    {
        var f = Assert.Single(Check("SELECT set_config('app.client_id', '2', true)").Errors);
        Assert.Equal(Codes.ForbiddenFunction, f.Code);
        Assert.Contains("tenant", f.Message);
    }

    [Fact]
    public void Tenant_filter_is_a_warning_and_the_query_stays_valid()
    {
        var report = Check("SELECT count(*) FROM issues");
        Assert.True(report.Valid);
        var w = Assert.Single(report.Warnings);
        Assert.Equal(Codes.MissingTenantFilter, w.Code);
        Assert.Contains("issues.client_id", w.Message);
        Assert.Contains("Row-level security", w.Message);
    }

    [Fact]
    public void Row_cap_and_limit_policy_are_configurable()
    {
        const string sql = "SELECT key FROM issues WHERE client_id = 1 LIMIT 5000";
        Assert.Equal(Codes.MissingLimit, Assert.Single(Check(sql).Errors).Code);
        Assert.True(Check(sql, new ValidationOptions { RowCap = 10_000 }).Valid);
        var lenient = Check("SELECT key FROM issues WHERE client_id = 1", new ValidationOptions { RequireLimit = false });
        Assert.True(lenient.Valid);
        Assert.Equal(Codes.MissingLimit, Assert.Single(lenient.Warnings).Code);
    }

    [Fact]
    public void Shape_describes_grouping_aggregates_filters_and_order()
    {
        var report = Check("""
            SELECT date_trunc('month', d.deployed_at) AS month, percentile_cont(0.9) WITHIN GROUP (ORDER BY d.lead_time_seconds)
            FROM deployments d
            WHERE d.client_id = 1 AND d.environment = 'production' AND d.deployed_at >= now() - interval '90 days'
            GROUP BY 1 ORDER BY 1 DESC LIMIT 12
            """);
        var shape = report.Shape!;
        Assert.Contains("date_trunc:month(deployments.deployed_at)", shape.GroupBy);
        Assert.Contains("p90", shape.Aggregates);
        Assert.Contains(shape.Filters, f => f.Column == "deployments.environment" && f.Constants.Contains("production"));
        Assert.Contains(shape.Filters, f => f.Temporal && f.Constants.Contains("90 days"));
        Assert.Equal(["desc"], shape.OrderDirections);
        Assert.Equal(12, shape.Limit);
    }

    [Fact]
    public void Catalog_from_migrations_has_the_schema_contract()
    {
        var issues = TestCatalog.Schema.Find("issues")!;
        Assert.Equal("client_id", issues.TenantColumn);
        Assert.True(issues.ColumnsByName["created"].IsTemporal);
        Assert.Equal("id", TestCatalog.Schema.Find("clients")!.TenantColumn);
        Assert.Null(TestCatalog.Schema.Find("api_keys"));
        // The 12 platform tables, the replica's two issue rollups (Replica/0700, 0710) and two pull request rollups (0720),
        // tenant tables with the base time column.
        Assert.Equal(16, TestCatalog.Schema.Tables.Count);
        Assert.True(TestCatalog.Schema.Find("pull_requests_merged_daily")!.ColumnsByName["merged_at"].IsTemporal);
        Assert.Equal("client_id", TestCatalog.Schema.Find("issues_created_daily")!.TenantColumn);
        Assert.True(TestCatalog.Schema.Find("issues_completed_daily")!.ColumnsByName["work_last_completed_at"].IsTemporal);
        // Keyed by the status category since Replica/0710 (which drops and re-creates them): the later DDL wins.
        Assert.True(TestCatalog.Schema.Find("issues_created_daily")!.HasColumn("status_to"));
        Assert.False(TestCatalog.Schema.Find("issues_created_daily")!.HasColumn("status_id"));
    }

    [Fact]
    public void Denylist_covers_prefix_families()
    {
        Assert.NotNull(FunctionDenylist.ReasonFor("lo_unlink"));
        Assert.NotNull(FunctionDenylist.ReasonFor("dblink_exec"));
        Assert.NotNull(FunctionDenylist.ReasonFor("pg_advisory_xact_lock_shared"));
        Assert.NotNull(FunctionDenylist.ReasonFor("PG_SLEEP"));
        Assert.Null(FunctionDenylist.ReasonFor("date_trunc"));
        Assert.Null(FunctionDenylist.ReasonFor("percentile_cont"));
        Assert.Null(FunctionDenylist.ReasonFor("pg_size_pretty"));
    }
}
