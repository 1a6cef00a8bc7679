using System.Collections;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Two things gRPC for ASP.NET Core does not do for a caller's bad input, done for every service
/// (docs/api.md, "gRPC errors"):
/// <list type="bullet">
/// <item>A request message that is not valid protobuf (truncated, a bad tag or wire type, nested
/// too deep) fails while it is read, before any handler or interceptor runs, and the framework
/// answers <c>Unknown</c> "Exception was thrown by handler." — a server failure. It is the
/// caller's mistake: <c>InvalidArgument</c> with what was wrong.</item>
/// <item>A status detail that quotes a huge input (a 200,000-character field echoed back) becomes a
/// <c>grpc-message</c> larger than the client's header limit (64 KiB in .NET): the client then
/// drops the whole HTTP/2 connection, and every other call on it fails <c>Unavailable</c>.
/// Details are cut to <see cref="MaxDetailLength"/> characters.</item>
/// </list>
/// The interceptor marks the calls whose handler started and refuses a NUL character (U+0000) in any
/// string field with <c>InvalidArgument</c> (PostgreSQL cannot store one, and the driver's error
/// would otherwise surface as a database failure); the middleware, after the call, turns an
/// <c>Unknown</c> of a call whose handler never started into <c>InvalidArgument</c> and shortens
/// long details.
/// </summary>
public static class GrpcStatusGuard
{
    /// <summary>Longest status detail sent (characters, before percent-encoding).</summary>
    public const int MaxDetailLength = 2000;

    internal const string UnreadableRequest =
        "The request message is not valid protobuf for this method (truncated, a wrong tag or wire type, or nested too deep): send the message the .proto file describes.";

    private const string StatusHeader = "grpc-status";
    private const string MessageHeader = "grpc-message";
    private static readonly object HandlerStarted = new();

    /// <summary>Adds the middleware (call once, on every gRPC host: <c>MapGrpcDefaults</c> does).</summary>
    public static WebApplication UseGrpcStatusGuard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                Mend(context);
            }
        });
        return app;
    }

    private static void Mend(HttpContext context)
    {
        // Trailers-only answers (nothing written yet) carry the status in the headers; others in the trailers.
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        var fields = context.Response.Headers.ContainsKey(StatusHeader) && !context.Response.HasStarted ? context.Response.Headers
            : trailers is { IsReadOnly: false } && trailers.ContainsKey(StatusHeader) ? trailers
            : null;
        if (fields is null)
        {
            return;
        }
        if (fields[StatusHeader] == ((int)StatusCode.Unknown).ToString(System.Globalization.CultureInfo.InvariantCulture)
            && !context.Items.ContainsKey(HandlerStarted))
        {
            fields[StatusHeader] = ((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture);
            fields[MessageHeader] = Uri.EscapeDataString(UnreadableRequest);
            return;
        }
        if (fields[MessageHeader] is { Count: > 0 } message && message.ToString() is { Length: > MaxDetailLength } encoded)
        {
            fields[MessageHeader] = new StringValues(Shorten(encoded));
        }
    }

    /// <summary>A percent-encoded detail cut to <see cref="MaxDetailLength"/> decoded characters, marked as cut.</summary>
    internal static string Shorten(string encoded)
    {
        var detail = Uri.UnescapeDataString(encoded);
        return detail.Length <= MaxDetailLength ? encoded : Uri.EscapeDataString(detail[..MaxDetailLength] + "… (cut)");
    }

    /// <summary>The first string field (dotted path) of <paramref name="message"/> holding a NUL character, or null.</summary>
    internal static string? FieldWithNul(IMessage message, string prefix = "")
    {
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var name = prefix + field.Name;
            switch (field.Accessor.GetValue(message))
            {
                case string text when text.Contains('\0', StringComparison.Ordinal):
                    return name;
                case IMessage inner when FieldWithNul(inner, name + ".") is { } found:
                    return found;
                case IDictionary map:
                    foreach (DictionaryEntry entry in map)
                    {
                        if (HasNul(entry.Key) || HasNul(entry.Value))
                        {
                            return name;
                        }
                        if (entry.Value is IMessage value && FieldWithNul(value, name + ".") is { } inMap)
                        {
                            return inMap;
                        }
                    }
                    break;
                case IList list:
                    foreach (var item in list)
                    {
                        if (HasNul(item))
                        {
                            return name;
                        }
                        if (item is IMessage element && FieldWithNul(element, name + ".") is { } inList)
                        {
                            return inList;
                        }
                    }
                    break;
            }
        }
        return null;

        static bool HasNul(object? value) => value is string s && s.Contains('\0', StringComparison.Ordinal);
    }

    /// <summary>Marks that the call's handler started (its request message was read) and refuses NUL characters in it.</summary>
    internal sealed class HandlerStartedInterceptor : Interceptor
    {
        private static void Mark(ServerCallContext context) => context.GetHttpContext().Items[HandlerStarted] = true;

        private static void Check<TRequest>(TRequest request)
        {
            if (request is IMessage message && FieldWithNul(message) is { } field)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"{field} contains a NUL character (U+0000), which no field accepts: remove it."));
            }
        }

        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            Check(request);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            Check(request);
            return continuation(request, responseStream, context);
        }

        public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            return continuation(requestStream, context);
        }

        public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            return continuation(requestStream, responseStream, context);
        }
    }
}
