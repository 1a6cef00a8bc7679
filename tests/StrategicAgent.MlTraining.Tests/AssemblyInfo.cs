using StrategicAgent.Testing;

[assembly: AssemblyFixture(typeof(DemoDataFixture))]
// Tests share one replica's registry and the machine has two cores: one test at a time.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
