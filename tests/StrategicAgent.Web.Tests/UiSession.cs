using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit;

namespace StrategicAgent.Web.Tests;

/// <summary>
/// One browser context (its own cookies) on the web UI, with every console error and page error
/// recorded, and helpers to sign in, open a page and wait until its data has loaded.
/// </summary>
public sealed class UiSession : IAsyncDisposable
{
    private readonly WebSystem _system;

    private UiSession(WebSystem system, IBrowserContext context, IPage page)
    {
        _system = system;
        Context = context;
        Page = page;
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                ConsoleErrors.Add($"{page.Url}: {m.Text}");
            }
        };
        page.PageError += (_, e) => ConsoleErrors.Add($"{page.Url}: page error {e}");
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public List<string> ConsoleErrors { get; } = [];

    /// <summary>A new browser context on the system's web UI, or on another web UI at <paramref name="webUrl"/>.</summary>
    public static async Task<UiSession> OpenAsync(WebSystem system, int width = 1280, int height = 900, string? webUrl = null)
    {
        webUrl ??= system.WebUrl;
        var context = await system.Browser.NewContextAsync(new()
        {
            BaseURL = webUrl,
            ViewportSize = new() { Width = width, Height = height },
            AcceptDownloads = true,
        });
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = webUrl });
        // Generous: the tests share 2 cores with the whole system (and, on a busy machine, with more).
        context.SetDefaultTimeout(120_000);
        return new UiSession(system, context, await context.NewPageAsync());
    }

    public static async Task<UiSession> SignedInAsync(WebSystem system, string key, int width = 1280, int height = 900, string? webUrl = null)
    {
        var session = await OpenAsync(system, width, height, webUrl);
        await session.SignInAsync(key);
        return session;
    }

    public async Task SignInAsync(string key)
    {
        await Page.GotoAsync("/signin");
        await Page.GetByTestId("api-key").FillAsync(key);
        await Page.GetByTestId("sign-in").ClickAsync();
        await Page.Locator("[data-testid=ask-page][data-interactive=true]").WaitForAsync();
    }

    /// <summary>Opens a page and waits until its data load has finished (<c>data-ready</c> &gt; 0).</summary>
    public async Task OpenAsync(string path, string pageTestId)
    {
        await Page.GotoAsync(path);
        await WaitReadyAsync(pageTestId);
    }

    public Task WaitReadyAsync(string pageTestId) =>
        Page.Locator($"[data-testid={pageTestId}]:not([data-ready='0'])").WaitForAsync();

    /// <summary>
    /// Opens a page and waits until its data has loaded, as <see cref="OpenAsync(string, string)"/>; when the page then
    /// shows that the system was too slow — a 503 (a service still loading) or a 504 (a call out of time) anywhere on
    /// it — opens it again, at most <paramref name="attempts"/> times in all, as a user would. Slowness on a busy machine
    /// is not a defect of the page; any other problem is left on the page for the test's assertions (and their
    /// messages, <see cref="DescribeAsync"/>) to see.
    /// </summary>
    public async Task OpenLoadedAsync(string path, string pageTestId, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            await OpenAsync(path, pageTestId);
            var slow = Page.Locator("[data-testid=problem][data-status='503'], [data-testid=problem][data-status='504']");
            if (attempt == attempts || await slow.CountAsync() == 0)
            {
                return;
            }
            SlowLoads.Add($"{path} attempt {attempt}: {string.Join(" | ", await slow.AllInnerTextsAsync())}");
        }
    }

    /// <summary>Loads that showed a 503/504 and were opened again (<see cref="OpenLoadedAsync"/>), for messages.</summary>
    public List<string> SlowLoads { get; } = [];

    /// <summary>
    /// What a page shows, for an assertion's message: every problem shown (the gateway's status, its text and trace id)
    /// and the page's text, shortened; and the loads opened again because they were slow.
    /// </summary>
    public async Task<string> DescribeAsync(string pageTestId)
    {
        var root = Page.Locator($"[data-testid={pageTestId}]");
        if (await root.CountAsync() == 0)
        {
            return $"no [data-testid={pageTestId}] on {Page.Url}";
        }
        var problems = await root.Locator("[data-testid=problem]").EvaluateAllAsync<string[]>(
            "ps => ps.map(p => `gateway status ${p.getAttribute('data-status')}: ${p.innerText.replace(/\\s+/g, ' ').trim()}`)");
        var text = (await root.InnerTextAsync()).ReplaceLineEndings(" ");
        const int Max = 1500;
        return $"{Page.Url} (data-ready {await root.GetAttributeAsync("data-ready")})"
            + (problems.Length > 0 ? $"; problems shown: {string.Join("; ", problems)}" : "; no problem shown")
            + (SlowLoads.Count > 0 ? $"; opened again after: {string.Join("; ", SlowLoads)}" : "")
            + $"; page text: {(text.Length > Max ? text[..Max] + "…" : text)}";
    }

    /// <summary>
    /// Runs every CSS transition and animation of this page (and of the pages it navigates to) 100 times
    /// slower, through Chromium's DevTools protocol: a colour change that is animated is then caught
    /// half-way by axe every time, instead of now and then on a fast machine (a button enabled when its
    /// page's data arrived once failed contrast during its 250 ms fade). Each state a control passes
    /// through must meet contrast, not only where it ends.
    /// </summary>
    public async Task SlowAnimationsAsync()
    {
        var cdp = await Context.NewCDPSessionAsync(Page);
        await cdp.SendAsync("Animation.enable");
        await cdp.SendAsync("Animation.setPlaybackRate", new Dictionary<string, object> { ["playbackRate"] = 0.01 });
    }

    /// <summary>axe on the page as it is: no serious or critical violation.</summary>
    public async Task AssertAccessibleAsync(string what)
    {
        var result = await Page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{what}: " + string.Join("\n", bad.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}")));
    }

    /// <summary>The page does not scroll sideways; when it does, the message names the elements that stick out.</summary>
    public async Task AssertNoSidewaysScrollAsync(string what)
    {
        var overflow = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        if (overflow <= 0)
        {
            return;
        }
        // Elements whose right edge passes the viewport and that are not inside a region that scrolls on its own
        // (or are positioned, and so may escape that region).
        var culprits = await Page.EvaluateAsync<string[]>("""
            () => {
              const width = document.documentElement.clientWidth;
              const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
              return [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > width + 0.5 && (!scrolls(el) || ['absolute', 'fixed'].includes(getComputedStyle(el).position)))
                .slice(0, 8)
                .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)} width=${Math.round(el.getBoundingClientRect().width)}`);
            }
            """);
        Assert.Fail($"{what} scrolls sideways by {overflow} px: " + string.Join("; ", culprits));
    }

    public void AssertNoConsoleErrors() =>
        Assert.True(ConsoleErrors.Count == 0, "console errors:\n" + string.Join("\n", ConsoleErrors));

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
