using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Parsing;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>The libpg_query binding: trees, errors with positions, fingerprint, normalize, split, bad input.</summary>
public sealed class ParserTests
{
    [Fact]
    public void Parses_to_a_json_tree()
    {
        using var parsed = PgParser.Parse("SELECT a FROM t WHERE b = 1");
        Assert.Null(parsed.Error);
        var stmt = parsed.Tree!.RootElement.GetProperty("stmts")[0].GetProperty("stmt");
        Assert.True(stmt.TryGetProperty("SelectStmt", out _));
    }

    [Fact]
    public void Syntax_error_has_postgres_message_and_position_line_and_column()
    {
        const string sql = "SELECT key\nFROM issues\nWHERE client_id = 1 AND LIMIT 1";
        using var parsed = PgParser.Parse(sql);
        var error = parsed.Error!;
        Assert.Equal("syntax error at or near \"LIMIT\"", error.Message);
        Assert.Equal(sql.IndexOf("LIMIT", StringComparison.Ordinal) + 1, error.Position);
        Assert.Equal(3, error.Line);
        Assert.Equal(25, error.Column);
    }

    [Fact]
    public void Positions_count_characters_not_utf8_bytes()
    {
        const string sql = "SELECT 'héllo 😀 ünïcödé' AS g FROM issues WHERE client_id = 1 1";
        using var parsed = PgParser.Parse(sql);
        Assert.Equal(sql.LastIndexOf('1') + 1, parsed.Error!.Position);

        // Node locations (bytes in the tree) map back to characters too.
        var report = TestCatalog.Validator().CheckSql("SELECT 'é😀' AS x, nope FROM issues WHERE client_id = 1 LIMIT 1", TestCatalog.Schema);
        var finding = Assert.Single(report.Errors);
        Assert.Equal(Codes.UnknownColumn, finding.Code);
        Assert.Equal("SELECT 'é😀' AS x, nope".IndexOf("nope", StringComparison.Ordinal) + 1, finding.Position);
    }

    [Fact]
    public void Fingerprint_ignores_constants_and_formatting_but_not_structure()
    {
        var a = PgParser.Fingerprint("SELECT count(*) FROM issues WHERE client_id = 1");
        var b = PgParser.Fingerprint("select   count(*)\n from issues where client_id = 42");
        var c = PgParser.Fingerprint("SELECT count(*) FROM issues WHERE project_id = 1");
        Assert.NotNull(a);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Null(PgParser.Fingerprint("SELEC 1"));
    }

    [Fact]
    public void Normalize_replaces_constants_with_parameters()
    {
        Assert.Equal("SELECT key FROM issues WHERE client_id = $1 AND summary = $2",
            PgParser.Normalize("SELECT key FROM issues WHERE client_id = 1 AND summary = 'x'"));
    }

    [Fact]
    public void Split_keeps_semicolons_inside_literals_and_comments()
    {
        var parts = PgParser.Split("SELECT ';'; /* ; */ SELECT 2;\nSELECT $$;$$", out var error);
        Assert.Null(error);
        Assert.Equal(3, parts.Count);
        Assert.Equal("SELECT ';'", parts[0].Text);
        Assert.EndsWith("SELECT 2", parts[1].Text);
        Assert.Equal("SELECT $$;$$", parts[2].Text.Trim());
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    [InlineData("SELECT 1\0")]
    [InlineData("SELECT '\ud800'")]
    [InlineData("SELECT '\ufffd'")]
    public void Bad_input_is_refused_before_the_parser(string sql)
    {
        Assert.Throws<InvalidSqlInputException>(() => TestCatalog.Validator().CheckSql(sql, TestCatalog.Schema));
    }

    [Fact]
    public void Oversized_input_is_refused_with_the_limit_in_the_message()
    {
        var e = Assert.Throws<InvalidSqlInputException>(() => TestCatalog.Validator().CheckSql("SELECT " + new string('1', 1024 * 1024), null));
        Assert.Contains("262144", e.Message);
        Assert.Contains("Validation:MaxSqlBytes", e.Message);
    }

    [Theory]
    [InlineData("(", ")", 100_000)]        // PostgreSQL's grammar stack gives up ("memory exhausted")
    [InlineData("f(", ")", 60_000)]
    [InlineData("NOT ", "", 60_000)]
    [InlineData("", " + 1", 60_000)]        // left-deep: parses, then the tree is too deep
    [InlineData("", "::int", 40_000)]
    [InlineData("(SELECT ", ")", 30_000)]
    [InlineData("", " + 1", 1_500)]         // under the inline-parse size: still refused, on the caller's thread
    public void Deep_nesting_is_a_syntax_stage_finding_not_a_crash(string open, string close, int depth)
    {
        var sql = "SELECT " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close.StartsWith(')') ? close : "", open.Length > 0 ? depth : 0))
                  + (open.Length == 0 ? string.Concat(Enumerable.Repeat(close, depth)) : "");
        var report = TestCatalog.Validator(new ValidationOptions { MaxSqlBytes = 1024 * 1024 }).CheckSql(sql, TestCatalog.Schema);
        Assert.False(report.Valid);
        Assert.Equal("syntax", report.Stage);
        Assert.Contains(report.Errors[0].Code, new[] { Codes.SyntaxError, Codes.NestingTooDeep });
    }

    [Fact]
    public void Moderate_nesting_still_validates()
    {
        var sql = "SELECT " + new string('(', 100) + "1" + new string(')', 100);
        var report = TestCatalog.Validator().CheckSql(sql, TestCatalog.Schema);
        Assert.True(report.Valid, string.Join("; ", report.Errors));
    }
}
