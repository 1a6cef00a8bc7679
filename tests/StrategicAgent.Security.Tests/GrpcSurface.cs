using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;

namespace StrategicAgent.Security.Tests;

/// <summary>One RPC of one running service.</summary>
public sealed record GrpcMethod(string Host, ChannelBase Channel, MethodDescriptor Descriptor)
{
    public string FullName => $"{Descriptor.Service.FullName}/{Descriptor.Name}";

    public override string ToString() => $"{Host}: {FullName}";
}

/// <summary>
/// Every RPC the running services serve, found the way a caller finds them: gRPC reflection on each
/// service lists what it serves, and the compiled protos (every generated file descriptor of
/// StrategicAgent.Protos) describe each method. A new RPC or service is swept without a line here.
/// </summary>
public static class GrpcSurface
{
    /// <summary>Services every host serves for infrastructure, open to anyone.</summary>
    public static readonly string[] OpenServices = ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"];

    private static readonly Dictionary<string, ServiceDescriptor> Protos = typeof(StrategicAgent.Protos.Agent.V1.AgentService).Assembly.GetTypes()
        .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static))
        .Where(p => p?.PropertyType == typeof(FileDescriptor))
        .SelectMany(p => ((FileDescriptor)p!.GetValue(null)!).Services)
        .ToDictionary(s => s.FullName, StringComparer.Ordinal);

    /// <summary>Every proto service compiled into StrategicAgent.Protos.</summary>
    public static IReadOnlyCollection<string> CompiledServices => Protos.Keys;

    public static async Task<IReadOnlyList<GrpcMethod>> DiscoverAsync(IEnumerable<(string Name, ChannelBase Channel)> hosts, CancellationToken ct)
    {
        var methods = new List<GrpcMethod>();
        foreach (var (name, channel) in hosts)
        {
            foreach (var service in await ListServicesAsync(channel, ct))
            {
                if (OpenServices.Contains(service))
                {
                    continue;
                }
                if (!Protos.TryGetValue(service, out var descriptor))
                {
                    throw new InvalidOperationException($"{name} serves {service}, which is not in StrategicAgent.Protos");
                }
                methods.AddRange(descriptor.Methods.Select(m => new GrpcMethod(name, channel, m)));
            }
        }
        return methods;
    }

    /// <summary>What a host serves, from its reflection service (which needs no credential).</summary>
    public static async Task<List<string>> ListServicesAsync(ChannelBase channel, CancellationToken ct)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, ct);
        await call.RequestStream.CompleteAsync();
        var names = new List<string>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            names.AddRange(response.ListServicesResponse.Service.Select(s => s.Name));
        }
        return names;
    }

    /// <summary>
    /// Calls a method with raw request bytes and reads the whole answer (every message of a stream),
    /// within <paramref name="timeout"/>: the status it ended with and the time it took.
    /// </summary>
    public static async Task<(Status Status, TimeSpan Took)> CallAsync(this GrpcMethod method, byte[] request, Metadata? headers, TimeSpan timeout, CancellationToken ct)
    {
        var raw = Marshallers.Create<byte[]>(b => b, b => b);
        var type = method.Descriptor.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary;
        var call = new Method<byte[], byte[]>(type, method.Descriptor.Service.FullName, method.Descriptor.Name, raw, raw);
        var invoker = method.Channel.CreateCallInvoker();
        var options = new CallOptions(headers, DateTime.UtcNow + timeout, ct);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            if (type == MethodType.Unary)
            {
                await invoker.AsyncUnaryCall(call, null, options, request).ResponseAsync;
            }
            else
            {
                using var stream = invoker.AsyncServerStreamingCall(call, null, options, request);
                await foreach (var _ in stream.ResponseStream.ReadAllAsync(ct))
                {
                }
            }
            return (Status.DefaultSuccess, sw.Elapsed);
        }
        catch (RpcException e)
        {
            return (e.Status, sw.Elapsed);
        }
    }

    /// <summary>An empty request of the method's input type (every field at its default).</summary>
    public static byte[] Empty => [];

    /// <summary>The input message's descriptor.</summary>
    public static MessageDescriptor Input(this GrpcMethod method) => method.Descriptor.InputType;

    public static byte[] Bytes(this IMessage message) => message.ToByteArray();
}
