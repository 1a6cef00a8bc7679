using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace StrategicAgent.Reliability.Tests.Faults;

/// <summary>
/// A browser-like client of the web UI: signs in through the sign-in form (its antiforgery token and cookie, as a
/// browser posts it) and keeps the session cookie; page loads are server-rendered HTML that the UI builds from the
/// gateway's answers. Redirects are not followed, so a lost session shows as a redirect to the sign-in page.
/// </summary>
public sealed partial class WebSession : IDisposable
{
    private readonly CookieContainer _cookies = new();
    private readonly HttpClient _http;
    private readonly Uri _web;

    public WebSession(string webUrl)
    {
        _web = new Uri(webUrl);
        _http = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = _web,
            Timeout = TimeSpan.FromSeconds(100),
        };
    }

    /// <summary>Posts the sign-in form with <paramref name="apiKey"/>; throws unless the UI signed the session in.</summary>
    public async Task SignInAsync(string apiKey, CancellationToken ct)
    {
        var form = await _http.GetStringAsync("/signin", ct);
        var fields = new Dictionary<string, string>();
        foreach (Match input in InputTag().Matches(form))
        {
            if (Attribute(input.Value, "type") == "hidden" && Attribute(input.Value, "name") is { } name)
            {
                fields[name] = Attribute(input.Value, "value") ?? "";
            }
        }
        Assert.True(fields.ContainsKey("__RequestVerificationToken"), "the sign-in form has no antiforgery token");
        fields["Input.ApiKey"] = apiKey;
        using var response = await _http.PostAsync("/signin", new FormUrlEncodedContent(fields), ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True((int)response.StatusCode is 302 or 303 && response.Headers.Location is { } to && (to.IsAbsoluteUri ? to.AbsolutePath : to.OriginalString) == "/",
            $"sign-in: {(int)response.StatusCode} {response.Headers.Location} {body[..Math.Min(body.Length, 400)]}");
        Assert.True(_cookies.GetCookies(_web).Count(c => c.Name != "" && !c.Name.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)) > 0,
            "no session cookie after signing in");
    }

    /// <summary>
    /// Loads a page: 200 when the signed-in page was served, 302 when the UI sent the browser to sign in (the session was
    /// lost), 0 when nothing answered (connection refused or cut), else the status.
    /// </summary>
    public async Task<(int Status, int Served)> LoadAsync(string path, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync(path, ct);
            var html = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode == HttpStatusCode.OK && html.Contains("data-testid=\"api-key\"", StringComparison.Ordinal))
            {
                return (302, 0); // the sign-in page itself: not signed in
            }
            return ((int)response.StatusCode, 0);
        }
        catch (HttpRequestException)
        {
            return (0, 0);
        }
    }

    /// <summary>
    /// Starts a form post to the sign-in page whose body trickles in (as over a slow link), so that the request is held
    /// inside the UI until the body is complete. Returns once the headers and the first bytes are sent; the task ends
    /// with what the connection gave back: an HTTP status line, or null when it was cut with no answer.
    /// </summary>
    public async Task<Task<string?>> StartHeldPostAsync(CancellationToken ct)
    {
        var client = new TcpClient();
        await client.ConnectAsync(_web.Host, _web.Port, ct);
        var stream = client.GetStream();
        var cookie = _cookies.GetCookieHeader(_web);
        const int Length = 10_000_000;
        var head = $"POST /signin HTTP/1.1\r\nHost: {_web.Authority}\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
                   $"Content-Length: {Length}\r\nCookie: {cookie}\r\n\r\n_handler=signin&Input.ApiKey=";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.FlushAsync(ct);
        return Task.Run(async () =>
        {
            using (client)
            {
                // 2,000 bytes every 200 ms (10 kB/s; far above Kestrel's minimum body rate of 240 B/s even when a loaded
                // machine stretches the pauses), so only the kill ends it.
                var reading = ReadStatusLineAsync(stream, ct);
                var chunk = Encoding.ASCII.GetBytes(new string('a', 2000));
                try
                {
                    for (var sent = 0; sent < Length - 1000 && !reading.IsCompleted; sent += chunk.Length)
                    {
                        await stream.WriteAsync(chunk, ct);
                        await Task.Delay(200, ct);
                    }
                }
                catch (IOException)
                {
                    // The connection was cut while the body was being sent.
                }
                return await reading;
            }
        }, ct);
    }

    private static async Task<string?> ReadStatusLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[512];
        try
        {
            var n = await stream.ReadAsync(buffer, ct);
            return n == 0 ? null : Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
        }
        catch (IOException)
        {
            return null; // reset
        }
    }

    public void Dispose() => _http.Dispose();

    private static string? Attribute(string tag, string name) =>
        Regex.Match(tag, "\\s" + name + "=\"(?<v>[^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["v"].Value) : null;

    [GeneratedRegex("<input\\b[^>]*>")]
    private static partial Regex InputTag();
}
