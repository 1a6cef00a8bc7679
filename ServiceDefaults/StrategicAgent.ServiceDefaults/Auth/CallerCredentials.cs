using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StrategicAgent.ServiceDefaults.Auth;

/// <summary>How the caller's credential travels on outgoing gRPC calls.</summary>
public static class CallerCredentialExtensions
{
    public const string AuthorizationHeader = "authorization";

    /// <summary>
    /// Every call of this client carries the <c>authorization</c> header of the request being served
    /// (the agent calling validation and prediction for its caller): same tenant, same scopes, same
    /// expiry. Services hold no signing key, so forwarding is the only way they can call on a
    /// caller's behalf, and it cannot widen what the caller may do. A call made outside a request
    /// carries nothing and is refused downstream.
    /// </summary>
    public static IHttpClientBuilder ForwardCallerCredential(this IHttpClientBuilder client)
    {
        client.Services.AddHttpContextAccessor();
        return client.AddInterceptor(sp =>
        {
            var http = sp.GetRequiredService<IHttpContextAccessor>();
            return new CallerCredentialInterceptor(() => http.HttpContext?.Request.Headers.Authorization.ToString() is { Length: > 0 } value ? value : null);
        });
    }

    /// <summary>Every call of this client carries <c>authorization: &lt;what <paramref name="authorization"/> returns&gt;</c> (nothing when null).</summary>
    public static IHttpClientBuilder AddCallerCredential(this IHttpClientBuilder client, Func<IServiceProvider, Func<string?>> authorization) =>
        client.AddInterceptor(sp => new CallerCredentialInterceptor(authorization(sp)));
}

/// <summary>Adds the <c>authorization</c> header to calls that carry none.</summary>
public sealed class CallerCredentialInterceptor(Func<string?> authorization) : CallOptionsInterceptor
{
    protected override CallOptions Adjust(CallOptions options)
    {
        if (options.Headers?.Get(CallerCredentialExtensions.AuthorizationHeader) is not null || authorization() is not { } value)
        {
            return options;
        }
        var headers = new Metadata();
        foreach (var entry in options.Headers ?? [])
        {
            headers.Add(entry);
        }
        headers.Add(CallerCredentialExtensions.AuthorizationHeader, value);
        return options.WithHeaders(headers);
    }
}
