using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.Testing;
using Xunit;

namespace StrategicAgent.AppHost.Tests;

/// <summary>A bad setting stops the AppHost before anything starts, with a message naming the problem.</summary>
public sealed class FailFastTests
{
    [Fact]
    public async Task A_port_in_use_is_named_with_its_setting()
    {
        using var args = new AppHostArgs();
        using var taken = new TcpListener(IPAddress.Loopback, args.Ports["Primary"]);
        taken.Start();

        var ex = await StartFailsAsync(args);
        Assert.Contains($"Port {args.Ports["Primary"]}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("StrategicAgent:Ports:Primary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_port_in_use_is_named_too()
    {
        using var args = new AppHostArgs();
        using var taken = new TcpListener(IPAddress.Loopback, args.Ports["Gateway"]);
        taken.Start();

        var ex = await StartFailsAsync(args);
        Assert.Contains("StrategicAgent:Ports:Gateway", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_postgres_binary_is_named_with_the_install_hint()
    {
        using var args = new AppHostArgs();
        args.Settings["StrategicAgent:Postgres:BinDirectory"] = "/nonexistent/postgresql/bin";

        var ex = await StartFailsAsync(args);
        Assert.Contains("/nonexistent/postgresql/bin/", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql-15", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_rabbitmq_is_named()
    {
        using var args = new AppHostArgs();
        args.Settings["StrategicAgent:RabbitMq:ServerScript"] = "/nonexistent/rabbitmq-server";

        var ex = await StartFailsAsync(args);
        Assert.Contains("/nonexistent/rabbitmq-server", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("StrategicAgent:Infrastructure", "Kubernetes", "StrategicAgent:Infrastructure (or SA_INFRA) is 'Kubernetes'")]
    [InlineData("StrategicAgent:DemoData:Size", "Huge", "StrategicAgent:DemoData:Size is 'Huge'")]
    [InlineData("StrategicAgent:Ports:Agent", "70000", "StrategicAgent:Ports:Agent is '70000'")]
    public async Task An_invalid_setting_is_named(string key, string value, string expected)
    {
        using var args = new AppHostArgs();
        args.Settings[key] = value;

        var ex = await StartFailsAsync(args);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_port_twice_is_named()
    {
        using var args = new AppHostArgs();
        args.Ports["Replica"] = args.Ports["Primary"];

        var ex = await StartFailsAsync(args);
        Assert.Contains("StrategicAgent:Ports:Primary, StrategicAgent:Ports:Replica", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<Exception> StartFailsAsync(AppHostArgs args)
    {
        var ct = TestContext.Current.CancellationToken;
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.StrategicAgent_AppHost>(
                args.ToArgs(), (options, _) => options.DisableDashboard = true, ct);
            await using var app = await builder.BuildAsync(ct);
            await app.StartAsync(ct);
        });
        // Fail fast: no waiting for anything to start.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        var inner = ex;
        while (inner is AggregateException or System.Reflection.TargetInvocationException && inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }
        TestContext.Current.SendDiagnosticMessage(inner.GetType().Name + ": " + inner.Message);
        return inner;
    }
}
