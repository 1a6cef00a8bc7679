using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using StrategicAgent.LocalServers;
using StrategicAgent.ServiceDefaults.Llm;
using Xunit;

namespace StrategicAgent.Foundation.Tests;

/// <summary>
/// The shared wiring every service calls instead of its own copy (docs/CONVENTIONS.md, "Shared wiring"):
/// AddReplicaDataSource, AddMessaging, AddLlm — what they register, and that a bad setting stops the
/// start with the setting's name.
/// </summary>
public sealed class SharedWiringTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    [Fact]
    public async Task Replica_data_source_is_the_services_data_source_and_a_readiness_check_that_reports_an_unreachable_replica()
    {
        // A port nobody listens on: the check must say Unhealthy in our words, not throw or hang.
        var builder = Builder(new() { ["ConnectionStrings:replica"] = $"Host=127.0.0.1;Port={NativeProcess.FreePort()};Username=x;Password=y;Timeout=2" });
        builder.AddReplicaDataSource("the test needs it.", applicationName: "wiring-test");
        using var host = builder.Build();

        var source = host.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.Contains("Application Name=wiring-test", source.ConnectionString, StringComparison.OrdinalIgnoreCase);
        var registration = Assert.Single(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "replica");
        Assert.Contains(HealthTags.Ready, registration.Tags);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "replica", Ct);
        var entry = report.Entries["replica"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("The replica is unreachable (or does not answer the service's probe).", entry.Description);
    }

    [Fact]
    public void Replica_data_source_without_a_connection_string_stops_the_start_saying_why_or_is_skipped_by_Try()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Builder([]).AddReplicaDataSource("ml-training writes the registry there."));
        Assert.Equal("ConnectionStrings:replica is required: ml-training writes the registry there.", ex.Message);

        var optional = Builder([]);
        Assert.False(optional.TryAddReplicaDataSource());
        using var host = optional.Build();
        Assert.Null(host.Services.GetService<NpgsqlDataSource>());
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Messaging_puts_the_broker_in_ready_only_when_the_service_needs_it_to_serve(bool brokerNeeded, bool inReady)
    {
        var builder = Builder(new() { ["Messaging:Transport"] = "InMemory" });
        builder.AddMessaging(x => x.AddConsumer<PingConsumer>(), brokerNeededToServe: brokerNeeded);
        using var host = builder.Build();

        var bus = host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Single(r => r.Tags.Contains("masstransit"));
        Assert.Equal(inReady, bus.Tags.Contains(HealthTags.Ready));
        Assert.NotNull(host.Services.GetRequiredService<IBus>());
    }

    [Fact]
    public async Task Messaging_in_memory_delivers_to_the_callers_consumer_on_its_kebab_case_endpoint()
    {
        var builder = Builder(new() { ["Messaging:Transport"] = "inmemory" });
        builder.Services.AddSingleton<Received>();
        builder.AddMessaging(x => x.AddConsumer<PingConsumer>());
        using var host = builder.Build();
        await host.StartAsync(Ct);
        try
        {
            var endpoint = await host.Services.GetRequiredService<ISendEndpointProvider>().GetSendEndpoint(new Uri("queue:ping"));
            await endpoint.Send(new Ping { Text = "hello" }, Ct);
            Assert.Equal("hello", await host.Services.GetRequiredService<Received>().Text.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:messaging (amqp://user:password@host:port/vhost) is required with Messaging:Transport=RabbitMq")]
    [InlineData("Kafka", "Messaging:Transport must be RabbitMq or InMemory (it is 'Kafka').")]
    public void Messaging_stops_the_start_on_a_missing_broker_or_an_unknown_transport(string? transport, string message)
    {
        var builder = Builder(new() { ["Messaging:Transport"] = transport });
        var ex = Assert.Throws<InvalidOperationException>(() => builder.AddMessaging(x => x.AddConsumer<PingConsumer>()));
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Llm_role_provider_falls_back_to_the_shared_provider_only_when_the_role_allows_it()
    {
        var builder = Builder(new()
        {
            ["Llm:Provider"] = "OpenAI",
            ["Llm:Generator:Endpoint"] = "http://127.0.0.1:1/v1",
            ["Llm:Generator:Model"] = "m",
            ["Llm:Review:Provider"] = "Offline",
        });
        Assert.Equal(LlmProvider.OpenAI, builder.AddLlm("Generator"));
        Assert.Equal(LlmProvider.Offline, builder.AddLlm("Judge", sharedProviderApplies: false));
        Assert.Equal(LlmProvider.Offline, builder.AddLlm("Review"));
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptionsMonitor<LlmOptions>>();
        Assert.Equal(LlmProvider.OpenAI, options.Get("Generator").Provider);
        Assert.Equal(LlmProvider.Offline, options.Get("Judge").Provider);
    }

    [Fact]
    public void Llm_role_defaults_apply_before_configuration()
    {
        var builder = Builder(new() { ["Llm:A:MaxRetries"] = "3" });
        builder.AddLlm("A", defaults: o => o.TimeoutSeconds = 30);
        builder.AddLlm("B", defaults: o => o.TimeoutSeconds = 30);
        builder.Configuration["Llm:B:TimeoutSeconds"] = "45";
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptionsMonitor<LlmOptions>>();
        Assert.Equal((30, 3), (options.Get("A").TimeoutSeconds, options.Get("A").MaxRetries));
        Assert.Equal(45, options.Get("B").TimeoutSeconds);
    }

    [Theory]
    [InlineData("AzureOpenAI", "https://x.openai.azure.com/", "deployment", null, "Llm:Judge:ApiKey")]
    [InlineData("OpenAI", "not a url", "m", null, "Llm:Judge:Endpoint")]
    [InlineData("OpenAI", "http://127.0.0.1:1/v1", null, null, "Llm:Judge:Model")]
    public async Task Llm_settings_that_cannot_work_stop_the_start_with_the_setting_name(string provider, string endpoint, string? model, string? key, string named)
    {
        var builder = Builder(new()
        {
            ["Llm:Judge:Provider"] = provider,
            ["Llm:Judge:Endpoint"] = endpoint,
            ["Llm:Judge:Model"] = model,
            ["Llm:Judge:ApiKey"] = key,
        });
        builder.AddLlm("Judge");
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Llm_settings_that_work_start_and_build_a_kernel_OpenAI_compatible_without_a_key()
    {
        var builder = Builder(new()
        {
            ["Llm:Judge:Provider"] = "OpenAI",
            ["Llm:Judge:Endpoint"] = "http://127.0.0.1:1/v1",
            ["Llm:Judge:Model"] = "m",
        });
        builder.AddLlm("Judge");
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var kernel = host.Services.GetRequiredService<IOptionsMonitor<LlmOptions>>().Get("Judge").CreateKernel();
        Assert.NotNull(kernel.GetRequiredService<Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService>());
        await host.StopAsync(Ct);
    }

    public sealed class Ping
    {
        public required string Text { get; init; }
    }

    public sealed class Received
    {
        public TaskCompletionSource<string> Text { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public sealed class PingConsumer(Received received) : IConsumer<Ping>
    {
        public Task Consume(ConsumeContext<Ping> context)
        {
            received.Text.TrySetResult(context.Message.Text);
            return Task.CompletedTask;
        }
    }
}
