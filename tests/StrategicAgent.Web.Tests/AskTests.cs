using System.Text;
using Microsoft.Playwright;
using Xunit;

namespace StrategicAgent.Web.Tests;

/// <summary>The Ask page in Chromium against the real system: streaming, charts, table, CSV, SQL, follow-ups, pins.</summary>
public sealed class AskTests(WebSystem system)
{
    private const string Question = "rework rate by repository this year";

    [Fact]
    public async Task An_ask_streams_its_stages_before_the_answer_charts_it_and_exports_the_table_as_csv()
    {
        await using var ui = await UiSession.SignedInAsync(system, system.TenantKey);
        var page = ui.Page;
        // Record when the first live stage and the answer appear, in the page itself.
        await page.EvaluateAsync("""
            () => { window.__seen = {}; new MutationObserver(() => {
              if (!window.__seen.step && document.querySelector('[data-testid=live-steps] li')) window.__seen.step = performance.now();
              if (!window.__seen.answer && document.querySelector('[data-testid=answer]')) window.__seen.answer = performance.now();
            }).observe(document.body, { childList: true, subtree: true }); }
            """);
        await page.GetByLabel("Your question").FillAsync(Question);
        await page.GetByLabel("Your question").PressAsync("Enter");
        var answer = page.GetByTestId("answer");
        await answer.WaitForAsync();
        var seen = await page.EvaluateAsync<Dictionary<string, double>>("() => window.__seen");
        Assert.True(seen.ContainsKey("step"), "no stage was shown while the answer was being worked out");
        Assert.True(seen["step"] < seen["answer"], "the stages did not arrive before the answer");

        Assert.Equal("answered", await answer.GetAttributeAsync("data-status"));
        await Assertions.Expect(page.GetByTestId("chart-bar")).ToBeVisibleAsync();
        var rows = page.GetByTestId("result-table").Locator("tbody tr");
        Assert.Equal(6, await rows.CountAsync());

        // Sorting: by rework rate, descending on the second click.
        var rateHeader = page.Locator("th", new() { Has = page.GetByTestId("sort-rework_rate_pct") });
        await page.GetByTestId("sort-rework_rate_pct").ClickAsync();
        await Assertions.Expect(rateHeader).ToHaveAttributeAsync("aria-sort", "ascending");
        await page.GetByTestId("sort-rework_rate_pct").ClickAsync();
        await Assertions.Expect(rateHeader).ToHaveAttributeAsync("aria-sort", "descending");
        var rates = (await rows.Locator("td:nth-child(2)").AllInnerTextsAsync()).Select(double.Parse).ToList();
        Assert.Equal(rates.OrderByDescending(r => r), rates);

        // The SQL is there, folded, and copies to the clipboard.
        await page.GetByText("SQL", new() { Exact = true }).ClickAsync();
        // The panel opens after the server's round trip and an animation: hidden text reads as "" until then.
        await Assertions.Expect(page.GetByTestId("sql")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("sql")).ToContainTextAsync("SELECT", new() { IgnoreCase = true });
        var sql = await page.GetByTestId("sql").InnerTextAsync();
        await page.GetByTestId("copy-sql").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copy-sql")).ToHaveTextAsync("Copied");
        Assert.Equal(sql.Trim(), (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).Trim());

        // The validation trace is folded: its steps are not shown until opened, and then they are.
        await Assertions.Expect(page.GetByTestId("trace")).ToBeHiddenAsync();
        await page.GetByText("Validation trace").ClickAsync();
        await Assertions.Expect(page.GetByTestId("trace")).ToBeVisibleAsync();
        Assert.True(await page.GetByTestId("trace").Locator("li").CountAsync() > 0, "the opened validation trace lists no step");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename);
        var csv = Encoding.UTF8.GetString(await File.ReadAllBytesAsync((await download.PathAsync())!, TestContext.Current.CancellationToken)).TrimStart('\uFEFF');
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("repository,rework_rate_pct,rework_prs,prs", lines[0]);
        Assert.Equal(7, lines.Length);
        // Same order as the table on screen (sorted by rate, descending), values unrounded.
        Assert.Equal(rates, lines.Skip(1).Select(l => double.Parse(l.Split(',')[1])));
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_follow_up_continues_the_conversation_and_a_pinned_answer_shows_on_the_dashboard()
    {
        await using var ui = await UiSession.SignedInAsync(system, system.TenantKey);
        var page = ui.Page;
        await page.GetByLabel("Your question").FillAsync(Question);
        await page.GetByTestId("ask-button").ClickAsync();
        await page.GetByTestId("answer").First.WaitForAsync();

        await page.GetByLabel("Your question").FillAsync("and for last quarter?");
        await Assertions.Expect(page.GetByTestId("ask-button")).ToHaveTextAsync("Ask follow-up");
        await page.GetByTestId("ask-button").ClickAsync();
        await Assertions.Expect(page.GetByTestId("turn")).ToHaveCountAsync(2);
        var followUp = page.GetByTestId("turn").First; // newest first
        await followUp.GetByTestId("answer").WaitForAsync();
        // The conversation kept the metric and the grouping and changed the period.
        var text = await followUp.GetByTestId("answer").InnerTextAsync();
        Assert.Contains("Rework rate by repository", text);
        Assert.Contains("last quarter", text);

        await followUp.GetByTestId("pin").ClickAsync();
        await Assertions.Expect(followUp.GetByTestId("pin")).ToHaveTextAsync("Pinned to dashboard");

        await ui.OpenAsync("/dashboard", "dashboard");
        var card = page.GetByTestId("pin-card").Last;
        await Assertions.Expect(card).ToContainTextAsync("rework rate by repository this year → and for last quarter?");
        // Refreshed on open: asked again, charted.
        await Assertions.Expect(card.GetByTestId("chart-bar")).ToBeVisibleAsync();
        await Assertions.Expect(card).ToContainTextAsync("last quarter");

        // DORA: four metrics with their tier and a 12-week trend.
        var dora = page.GetByTestId("dora-card");
        Assert.Equal(4, await dora.CountAsync());
        await Assertions.Expect(dora.GetByTestId("tier")).ToHaveCountAsync(4);
        Assert.True(await dora.GetByTestId("chart-line").CountAsync() >= 3);

        // The tenant's dashboard is shared by the whole test assembly: unpinning removes exactly this card.
        var pinned = await page.GetByTestId("pin-card").CountAsync();
        await card.GetByTestId("unpin").ClickAsync();
        await Assertions.Expect(page.GetByTestId("pin-card")).ToHaveCountAsync(pinned - 1);
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_refusal_offers_questions_as_chips_and_one_click_asks_again()
    {
        await using var ui = await UiSession.SignedInAsync(system, system.TenantKey);
        var page = ui.Page;
        // 'weekends' is a word the agent cannot apply: it refuses, and offers questions it can answer.
        await page.GetByLabel("Your question").FillAsync("PRs merged on weekends by repo");
        await page.GetByLabel("Your question").PressAsync("Enter");
        var answer = page.GetByTestId("answer");
        await answer.WaitForAsync();
        Assert.Equal("refused", await answer.GetAttributeAsync("data-status"));
        await Assertions.Expect(answer.GetByTestId("answer-text")).ToContainTextAsync("weekends");
        var chips = page.GetByTestId("suggestion");
        var offered = await chips.AllInnerTextsAsync();
        Assert.InRange(offered.Count, 1, 4);
        // The suggestions are chips, not repeated as a list in the text.
        Assert.DoesNotContain(offered[0], await answer.GetByTestId("answer-text").InnerTextAsync());
        await ui.AssertAccessibleAsync("a refusal with its chips");

        await chips.First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("turn")).ToHaveCountAsync(2);
        var asked = page.GetByTestId("turn").First;
        await Assertions.Expect(asked.Locator("h2.question")).ToHaveTextAsync(offered[0]);
        // Asked again, in a new conversation (not as a follow-up of the refused question). Whether the agent
        // answers its own suggestion is the agent's to test (today it suggests "Merged PRs per month in each
        // repository" and then refuses two groupings).
        await asked.GetByTestId("answer").WaitForAsync();
        Assert.Contains(await asked.GetByTestId("answer").GetAttributeAsync("data-status"), new[] { "answered", "refused" });
        ui.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task The_ask_flow_works_with_the_keyboard_alone()
    {
        await using var ui = await UiSession.OpenAsync(system);
        var page = ui.Page;
        await page.GotoAsync("/signin");
        await page.Keyboard.PressAsync("Tab"); // skip nothing: the key field is the first field
        await page.GetByTestId("api-key").FocusAsync();
        await page.Keyboard.TypeAsync(system.TenantKey);
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("[data-testid=ask-page][data-interactive=true]").WaitForAsync();
        // The question field has the focus on arrival.
        await Assertions.Expect(page.GetByLabel("Your question")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("issues created by month this year");
        await page.Keyboard.PressAsync("Enter");
        await page.GetByTestId("answer").WaitForAsync();
        await Assertions.Expect(page.GetByTestId("chart-line")).ToBeVisibleAsync();
        // Tab to "Pin to dashboard" and press it.
        for (var i = 0; i < 40 && await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-testid')") != "pin"; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Equal("pin", await page.EvaluateAsync<string?>("() => document.activeElement?.getAttribute('data-testid')"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("pin")).ToHaveTextAsync("Pinned to dashboard");

        // Clean up the pin for the dashboard test.
        await ui.OpenAsync("/dashboard", "dashboard");
        await page.GetByTestId("unpin").Last.ClickAsync();
        ui.AssertNoConsoleErrors();
    }
}
