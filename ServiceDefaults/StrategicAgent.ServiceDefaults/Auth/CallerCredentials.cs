using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
public sealed class CallerCredentialInterceptor(Func<string?> authorization) : Interceptor
{
    private ClientInterceptorContext<TRequest, TResponse> With<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class
    {
        if (context.Options.Headers?.Get(CallerCredentialExtensions.AuthorizationHeader) is not null || authorization() is not { } value)
        {
            return context;
        }
        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? [])
        {
            headers.Add(entry);
        }
        headers.Add(CallerCredentialExtensions.AuthorizationHeader, value);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(With(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(With(context));
}
