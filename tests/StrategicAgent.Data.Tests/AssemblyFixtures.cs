using StrategicAgent.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(DemoDataFixture))]
