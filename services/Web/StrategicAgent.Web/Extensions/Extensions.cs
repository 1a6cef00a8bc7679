using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using StrategicAgent.Web.Auth;
using StrategicAgent.Web.Components;
using StrategicAgent.Web.Gateway;

namespace StrategicAgent.Web.Extensions;

public static class Extensions
{
    public static WebApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddValidatedOptions<WebOptions>(WebOptions.Section);

        // Run from build output (AppHost, tests) in any environment, the framework's and MudBlazor's
        // static files come from their packages through the static web assets manifest; a published
        // app has them in wwwroot and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();

        // The gateway is the only thing the web UI talks to: http://gateway through service discovery
        // (services:gateway:http:0, set by the AppHost), or Web:GatewayUrl. No resilience handler: its
        // retries would replay asks, trainings and deploys, and its 10 s attempt timeout would cut a
        // streamed answer; every call has its own timeout instead (WebOptions).
        var gatewayUrl = builder.Configuration["Web:GatewayUrl"];
#pragma warning disable EXTEXP0001 // the only way to take the default resilience handler off one client
        services.AddHttpClient<GatewayClient>(c =>
            {
                c.BaseAddress = new Uri(string.IsNullOrWhiteSpace(gatewayUrl) ? "http://gateway" : gatewayUrl);
                c.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        // Sign-in: the API key lives in the encrypted, HttpOnly auth cookie (Data Protection), never
        // in browser storage. Keys persist to Web:DataProtectionKeysPath when set (several replicas
        // or restarts must share it; see docs/ui.md).
        var dataProtection = services.AddDataProtection().SetApplicationName("StrategicAgent.Web");
        if (builder.Configuration["Web:DataProtectionKeysPath"] is { Length: > 0 } keysPath)
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }
        var sessionHours = builder.Configuration.GetValue("Web:SessionHours", 8);
        services.AddAuthentication(WebClaims.Scheme)
            .AddCookie(WebClaims.Scheme, o =>
            {
                o.Cookie.Name = WebClaims.CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(sessionHours);
                o.SlidingExpiration = true;
                o.LoginPath = "/signin";
                o.AccessDeniedPath = "/operators-only";
                o.Events.OnValidatePrincipal = SessionValidator.ValidatePrincipalAsync;
                o.Events.OnRedirectToLogin = ctx =>
                {
                    var target = ctx.HttpContext.Items.ContainsKey(SessionValidator.ExpiredItem)
                        ? ctx.RedirectUri + "&reason=expired"
                        : ctx.RedirectUri;
                    ctx.Response.Redirect(target);
                    return Task.CompletedTask;
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(WebClaims.OperatorPolicy, p => p.RequireAuthenticatedUser().RequireClaim(WebClaims.Scope, WebClaims.AdminScope));
        services.AddCascadingAuthenticationState();
        services.AddSingleton<SessionValidator>();
        services.AddScoped<AuthenticationStateProvider, RevalidatingKeyStateProvider>();
        services.AddScoped<ApiKeyAccessor>();
        return builder;
    }

    /// <summary>
    /// The whole host, in the order every service's follows (defaults → auth and the UI's own → endpoints;
    /// no database, no broker: the gateway is all it talks to). Program.cs runs it.
    /// </summary>
    public static WebApplication BuildWebApp(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.UseServiceEndpoints();
        builder.AddApplicationServices();

        var app = builder.Build();
        app.MapWeb();
        return app;
    }

    private static WebApplication MapWeb(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.Use(async (context, next) =>
        {
            // MudBlazor sets style attributes, hence 'unsafe-inline' for styles only; no inline script.
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                                            "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            await next();
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapDefaultEndpoints();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
