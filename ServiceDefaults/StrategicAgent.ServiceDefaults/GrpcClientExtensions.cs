using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Typed gRPC clients that find their service through service discovery.</summary>
public static class GrpcClientExtensions
{
    /// <summary>Deadline for calls that set none: long enough for LLM-backed and training calls.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Registers <typeparamref name="TClient"/> against <c>http://_grpc.&lt;serviceName&gt;</c>: the
    /// service's endpoint named <c>grpc</c> (the AppHost injects <c>services:&lt;name&gt;:grpc:0</c>;
    /// elsewhere set that key or <c>GrpcClients:&lt;serviceName&gt;:Address</c>).
    /// <para>
    /// The standard HTTP resilience handler is removed for gRPC: its 10 s attempt timeout cuts off
    /// LLM and training calls, and its retries would replay non-idempotent calls. Instead every
    /// call without its own deadline gets <paramref name="defaultDeadline"/> (default 5 min), so a
    /// hung dependency ends in <see cref="StatusCode.DeadlineExceeded"/>, never in a hang.
    /// </para>
    /// </summary>
    public static IHttpClientBuilder AddGrpcServiceClient<TClient>(this IHostApplicationBuilder builder, string serviceName, TimeSpan? defaultDeadline = null)
        where TClient : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var deadline = defaultDeadline ?? DefaultDeadline;
        if (deadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(defaultDeadline), deadline, "The default deadline must be positive.");
        }
        var address = ServiceAddress(builder.Configuration, serviceName);

        var client = builder.Services
            .AddGrpcClient<TClient>(o => o.Address = address)
            .AddInterceptor(() => new DefaultDeadlineInterceptor(deadline));
        // Experimental in Microsoft.Extensions.Http.Resilience, but the only way to take the
        // handler that ConfigureHttpClientDefaults adds off one client.
#pragma warning disable EXTEXP0001
        client.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return client;
    }

    /// <summary><c>GrpcClients:&lt;name&gt;:Address</c>, else <c>http://_grpc.&lt;name&gt;</c> (service discovery).</summary>
    internal static Uri ServiceAddress(Microsoft.Extensions.Configuration.IConfiguration configuration, string serviceName)
    {
        var configured = configuration[$"GrpcClients:{serviceName}:Address"];
        return new Uri(string.IsNullOrWhiteSpace(configured) ? $"http://_grpc.{serviceName}" : configured);
    }

    /// <summary>Sets a deadline on calls that have none.</summary>
    private sealed class DefaultDeadlineInterceptor(TimeSpan deadline) : CallOptionsInterceptor
    {
        protected override CallOptions Adjust(CallOptions options) =>
            options.Deadline is not null ? options : options.WithDeadline(DateTime.UtcNow + deadline);
    }
}

/// <summary>
/// A client interceptor that only changes the options of each call (its deadline, its headers): the
/// plumbing of every call type once, the change in <see cref="Adjust"/>.
/// </summary>
public abstract class CallOptionsInterceptor : Interceptor
{
    /// <summary>The options the call goes out with.</summary>
    protected abstract CallOptions Adjust(CallOptions options);

    private ClientInterceptorContext<TRequest, TResponse> With<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class where TResponse : class =>
        new(context.Method, context.Host, Adjust(context.Options));

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

/// <summary>Options validated when the host starts, so a bad setting fails with its name.</summary>
public static class ValidatedOptionsExtensions
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IHostApplicationBuilder builder, string section)
        where TOptions : class =>
        builder.Services.AddOptions<TOptions>()
            .BindConfiguration(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
}
