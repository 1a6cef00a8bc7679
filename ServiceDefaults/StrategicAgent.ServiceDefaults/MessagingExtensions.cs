using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>The MassTransit transport (<c>Messaging:Transport</c>).</summary>
public enum MessagingTransport
{
    /// <summary>RabbitMQ at <c>ConnectionStrings:messaging</c> (an amqp URI).</summary>
    RabbitMq,

    /// <summary>In memory: one process, no broker (tests).</summary>
    InMemory,
}

public static class MessagingExtensions
{
    public const string ConnectionName = "messaging";
    public const string TransportKey = "Messaging:Transport";

    /// <summary>
    /// MassTransit 8 for a service: kebab-case endpoint names, <c>ConfigureEndpoints</c>, and the transport
    /// <c>Messaging:Transport</c> chooses — RabbitMQ at <c>ConnectionStrings:messaging</c> (the default) or in
    /// memory. <paramref name="consumers"/> adds the service's consumers (and their endpoints). The bus's
    /// health check is in <c>/ready</c> when the service cannot serve without the broker
    /// (<paramref name="brokerNeededToServe"/>), otherwise in <c>/health</c> only (docs/reliability.md, "Health").
    /// A missing connection string or an unknown transport stops the start with the setting's name.
    /// </summary>
    public static TBuilder AddMessaging<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator> consumers, bool brokerNeededToServe = true)
        where TBuilder : IHostApplicationBuilder
    {
        var transport = Transport(builder.Configuration);
        var messaging = builder.Configuration.GetConnectionString(ConnectionName);
        if (transport == MessagingTransport.RabbitMq && string.IsNullOrWhiteSpace(messaging))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} (amqp://user:password@host:port/vhost) is required with {TransportKey}=RabbitMq; set {TransportKey}=InMemory to run without a broker.");
        }
        builder.Services.AddMassTransit(x =>
        {
            if (!brokerNeededToServe)
            {
                // MassTransit tags its check "ready" by default; this service serves without the broker.
                x.ConfigureHealthCheckOptions(o =>
                {
                    o.Tags.Clear();
                    o.Tags.Add("masstransit");
                });
            }
            x.SetKebabCaseEndpointNameFormatter();
            consumers(x);
            if (transport == MessagingTransport.InMemory)
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
            else
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(new Uri(messaging!));
                    cfg.ConfigureEndpoints(context);
                });
            }
        });
        return builder;
    }

    private static MessagingTransport Transport(IConfiguration configuration)
    {
        var value = configuration[TransportKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return MessagingTransport.RabbitMq;
        }
        return Enum.TryParse<MessagingTransport>(value, ignoreCase: true, out var t) && Enum.IsDefined(t)
            ? t
            : throw new InvalidOperationException($"{TransportKey} must be RabbitMq or InMemory (it is '{value}').");
    }
}
