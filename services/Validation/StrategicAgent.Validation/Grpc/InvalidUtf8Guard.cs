using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using StrategicAgent.Protos.Validation.V1;

namespace StrategicAgent.Validation.Grpc;

/// <summary>
/// Protobuf refuses a string field that is not UTF-8 while deserializing, before any service code
/// runs, and grpc-dotnet reports that as Unknown ("Exception was thrown by handler"). This middleware
/// finds such requests first and answers InvalidArgument with a message a caller can act on.
/// Valid UTF-8 frames (all real traffic) cost one vectorized <see cref="System.Text.Unicode.Utf8.IsValid"/>.
/// </summary>
public sealed class InvalidUtf8Guard(RequestDelegate next)
{
    private const string ServicePath = "/strategicagent.validation.v1.ValidationService";
    private const int MaxInspectedBytes = 16 * 1024 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(ServicePath, out var method)
            || context.Request.ContentLength is > MaxInspectedBytes)
        {
            await next(context);
            return;
        }
        context.Request.EnableBuffering(bufferThreshold: 1024 * 1024, bufferLimit: MaxInspectedBytes);
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        context.Request.Body.Position = 0;

        if (HasInvalidUtf8(body.GetBuffer().AsSpan(0, (int)body.Length), method.Value ?? ""))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            // Trailers-only response: the status travels in the headers.
            context.Response.Headers["grpc-status"] = "3";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString("A string field of the request is not valid UTF-8; send the SQL as UTF-8 text.");
            return;
        }
        await next(context);
    }

    internal static bool HasInvalidUtf8(ReadOnlySpan<byte> frame, string method)
    {
        // gRPC frame: 1 byte compressed flag, 4 bytes big-endian length, message.
        if (frame.Length < 5 || frame[0] != 0)
        {
            return false;
        }
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame[1..5]);
        if (length > frame.Length - 5)
        {
            return false;
        }
        var message = frame.Slice(5, length);
        if (System.Text.Unicode.Utf8.IsValid(message))
        {
            return false;
        }
        // Varints and other binary fields can look like bad UTF-8: parse for real to be sure.
        try
        {
            if (method.Equals("/ValidateResults", StringComparison.Ordinal))
            {
                ValidateResultsRequest.Parser.ParseFrom(message);
            }
            else
            {
                ValidateSqlRequest.Parser.ParseFrom(message);
            }
            return false;
        }
        catch (InvalidProtocolBufferException e) when (e.InnerException is DecoderFallbackException)
        {
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }
}
