using StrategicAgent.Validation.Domain;
using StrategicAgent.Validation.Parsing;
using Xunit;

namespace StrategicAgent.Validation.Tests;

/// <summary>
/// The tie probe's SQL (ties at a top-N boundary, issue 10): the query's own rows, cut by its first ordering key with
/// FETCH FIRST n ROWS WITH TIES and counted; built only for a top-level ORDER BY … LIMIT n it can rewrite as written.
/// </summary>
public sealed class TieProbeTests
{
    [Fact]
    public void A_top_n_is_probed_on_its_first_ordering_key_with_ties_kept()
    {
        var probe = TieProbeSql.Create("SELECT u.name, count(*) AS prs FROM pull_requests pr JOIN users u ON u.id = pr.author_id GROUP BY u.name ORDER BY count(*) DESC, u.name LIMIT 5;");
        Assert.NotNull(probe);
        Assert.Equal(5, probe.Limit);
        Assert.Equal("count(*) DESC", probe.FirstKey);
        Assert.Equal("SELECT count(*) FROM (SELECT u.name, count(*) AS prs FROM pull_requests pr JOIN users u ON u.id = pr.author_id GROUP BY u.name ORDER BY count(*) DESC FETCH FIRST 5 ROWS WITH TIES) AS tie_probe", probe.Sql);
    }

    [Fact]
    public void The_top_level_order_and_limit_are_the_ones_rewritten()
    {
        var probe = TieProbeSql.Create("""
            SELECT t.name, (SELECT count(*) FROM issues i ORDER BY i.id LIMIT 1) AS x -- ORDER BY y LIMIT 9
            FROM teams t ORDER BY 2 DESC
            LIMIT 1
            """);
        Assert.NotNull(probe);
        Assert.Equal(1, probe.Limit);
        Assert.Equal("2 DESC", probe.FirstKey);
        Assert.Contains("(SELECT count(*) FROM issues i ORDER BY i.id LIMIT 1)", probe.Sql, StringComparison.Ordinal);
        Assert.EndsWith("ORDER BY 2 DESC FETCH FIRST 1 ROWS WITH TIES) AS tie_probe", probe.Sql, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT count(*) FROM issues")]
    [InlineData("SELECT i.key FROM issues i LIMIT 5")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created LIMIT 5 OFFSET 5")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created FETCH FIRST 5 ROWS WITH TIES")]
    [InlineData("SELECT i.key FROM issues i WHERE i.project_id = $1 ORDER BY i.created LIMIT 5")]
    [InlineData("SELECT x.key FROM (SELECT i.key FROM issues i ORDER BY i.created LIMIT 5) x")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created LIMIT ALL")]
    public void Queries_without_a_top_level_cut_it_can_rewrite_are_not_probed(string sql) => Assert.Null(TieProbeSql.Create(sql));
}

/// <summary>
/// <see cref="SqlTopN"/>: a top N's order and cut found on the parse tree and PostgreSQL's tokens, and the rewrites the tie probe,
/// the grader and the mutation test make of it.
/// </summary>
public sealed class SqlTopNTests
{
    [Fact]
    public void Quotes_comments_and_nested_queries_do_not_move_the_top_level_order_and_cut()
    {
        var top = SqlTopN.Find("""
            SELECT 'ORDER BY x LIMIT 3' AS s, "limit" /* LIMIT 9 */, (SELECT max(i.id) FROM issues i ORDER BY 1 LIMIT 1) AS m
            FROM users u ORDER BY u.name DESC NULLS LAST -- LIMIT 7
            LIMIT 4;
            """);
        Assert.NotNull(top);
        Assert.Equal(4, top.Count);
        Assert.False(top.WithTies);
        Assert.Equal(["u.name DESC NULLS LAST"], top.Keys);
        Assert.EndsWith("FROM users u ORDER BY u.name DESC NULLS LAST FETCH FIRST 4 ROWS WITH TIES", top.KeepingTies(), StringComparison.Ordinal);
        Assert.EndsWith("ORDER BY u.name DESC NULLS LAST LIMIT 4", top.CutTo(4), StringComparison.Ordinal);
        Assert.EndsWith("FROM users u LIMIT 4", top.WithoutOrder(), StringComparison.Ordinal);
        Assert.EndsWith("-- LIMIT 7\nLIMIT 8;", top.WithCount(8), StringComparison.Ordinal);
    }

    [Fact]
    public void Positions_are_characters_after_non_ascii_text()
    {
        var top = SqlTopN.Find("SELECT 'Zoë — ☃' AS n, u.name FROM users u ORDER BY u.name, 1 FETCH FIRST 2 ROWS WITH TIES");
        Assert.NotNull(top);
        Assert.True(top.WithTies);
        Assert.Equal(["u.name", "1"], top.Keys);
        Assert.Equal("SELECT 'Zoë — ☃' AS n, u.name FROM users u ORDER BY u.name, 1 LIMIT 2", top.CutTo(2));
        Assert.Equal("SELECT 'Zoë — ☃' AS n, u.name FROM users u ORDER BY u.name, 1", top.Uncut);
    }

    [Fact]
    public void The_tie_closed_rewrite_reads_each_key_off_an_output_column_or_a_hidden_one()
    {
        var top = SqlTopN.Find("SELECT u.name AS author, count(*) AS prs FROM pull_requests pr JOIN users u ON u.id = pr.author_id GROUP BY u.name ORDER BY prs DESC, 1, lower(u.name) ASC FETCH FIRST 5 ROWS ONLY");
        Assert.NotNull(top);
        Assert.False(top.WithTies);
        var (sql, keys) = top.KeepingTiesWithKeys(outputColumns: 2)!.Value;
        Assert.Equal("SELECT u.name AS author, count(*) AS prs, lower(u.name) AS _tie_key1 FROM pull_requests pr JOIN users u ON u.id = pr.author_id GROUP BY u.name ORDER BY prs DESC, 1, lower(u.name) ASC FETCH FIRST 5 ROWS WITH TIES", sql);
        Assert.Equal([1, 0, 2], keys);
        // A position into '*' cannot be read off the rows.
        Assert.Null(SqlTopN.Find("SELECT * FROM users u ORDER BY 2 LIMIT 3")!.KeepingTiesWithKeys(outputColumns: 5));
    }

    [Fact]
    public void A_query_with_parameters_is_found_but_not_probed()
    {
        var top = SqlTopN.Find("SELECT i.key FROM issues i WHERE i.project_id = ANY($1) ORDER BY i.created LIMIT 5");
        Assert.NotNull(top);
        Assert.True(top.HasParameters);
        Assert.Null(TieProbeSql.Create("SELECT i.key FROM issues i WHERE i.project_id = ANY($1) ORDER BY i.created LIMIT 5"));
    }

    [Theory]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created LIMIT $1")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created LIMIT 0")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created LIMIT 5 FOR UPDATE")]
    [InlineData("SELECT i.key FROM issues i ORDER BY i.created OFFSET 2 ROWS FETCH FIRST 5 ROWS ONLY")]
    [InlineData("SELECT 1; SELECT i.key FROM issues i ORDER BY i.created LIMIT 5")]
    [InlineData("SELEC i.key FROM issues i ORDER BY i.created LIMIT 5")]
    public void Anything_but_one_select_with_an_order_and_a_literal_cut_is_not_a_top_n(string sql) => Assert.Null(SqlTopN.Find(sql));
}
