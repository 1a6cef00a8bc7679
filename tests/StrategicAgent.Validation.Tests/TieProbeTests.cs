using StrategicAgent.Validation.Domain;
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
