using AdherencePipeline.Sensors;

namespace AdherencePipeline.Tests.Sensors;

public sealed class FirmwareProfileLoaderTests
{
    private const string Valid = """
        {
          "id": "test-strap",
          "displayName": "Test strap",
          "recognition": { "namePattern": "^T ", "serviceUuids": ["180D"] },
          "characteristics": [
            { "name": "heart-rate", "service": "180D", "uuid": "2A37", "subscribe": "notify", "decoder": { "kind": "hrs-measurement" } }
          ]
        }
        """;

    private static IReadOnlyList<ProfileError> Errors(string json)
    {
        var profile = FirmwareProfileLoader.TryParse(json, "/profiles/test-strap.json", out var errors);
        Assert.Null(profile);
        return errors;
    }

    [Fact]
    public void ProfileLoader_ShippedProfiles_AllLoadWithoutErrors()
    {
        var profiles = FirmwareProfileLoader.LoadDirectory(TestProfiles.Directory, out var errors);

        Assert.Empty(errors);
        Assert.Equal(TestProfiles.ShippedIds.Order(), profiles.Select(p => p.Id).Order());
    }

    [Fact]
    public void ProfileLoader_H10_CompilesPmdWritesToWorkedBytes()
    {
        var h10 = TestProfiles.Load("polar-h10");

        Assert.Equal(["01 02", "02 02 00 01 32 00 01 01 10 00 02 01 08 00"], h10.Start.Select(w => Hex.Format(w.Value.Span)));
        Assert.Equal(["03 02"], h10.Stop.Select(w => Hex.Format(w.Value.Span)));
        Assert.True(h10.Recognition.Matches("Polar H10 0A1B2C3D", [GattUuid.HeartRateService, GattUuid.PmdService]));
        Assert.False(h10.Recognition.Matches("Polar OH1 0A1B2C3D", [GattUuid.HeartRateService, GattUuid.PmdService]));
    }

    [Fact]
    public void ProfileLoader_MinimalProfile_Loads()
    {
        var profile = FirmwareProfileLoader.TryParse(Valid, "/profiles/test-strap.json", out var errors);

        Assert.Empty(errors);
        Assert.Equal(GattUuid.HeartRateMeasurement, profile!.Characteristics[0].Uuid);
    }

    [Theory]
    [InlineData("\"kind\": \"hrs-measurement\"", "\"kind\": \"hrs-v2\"", "$.characteristics[0].decoder.kind", "expected one of \"none\", \"hrs-measurement\"")]
    [InlineData("\"uuid\": \"2A37\"", "\"uuid\": \"2A3Z\"", "$.characteristics[0].uuid", "expected a UUID")]
    [InlineData("\"displayName\": \"Test strap\",", "", "$.displayName", "expected this required property; it is missing")]
    [InlineData("\"subscribe\": \"notify\"", "\"subscribe\": 1", "$.characteristics[0].subscribe", "expected one of \"notify\", \"indicate\", \"none\", found the number 1")]
    [InlineData("\"id\": \"test-strap\"", "\"id\": \"other\"", "$.id", "expected 'test-strap' (the file name without .json)")]
    [InlineData("\"namePattern\": \"^T \"", "\"namePattern\": \"^T (\"", "$.recognition.namePattern", "expected a .NET regular expression")]
    [InlineData("\"subscribe\": \"notify\"", "\"subscribe\": \"notify\", \"maxPayload\": 20", "$.characteristics[0].maxPayload", "'maxPayload' is not a known property")]
    [InlineData("\"serviceUuids\": [\"180D\"]", "\"serviceUuids\": \"180D\"", "$.recognition.serviceUuids", "expected an array, found the string \"180D\"")]
    public void ProfileLoader_BrokenProfile_ErrorNamesFilePathAndExpectation(string find, string replace, string jsonPath, string expectation)
    {
        var errors = Errors(Valid.Replace(find, replace, StringComparison.Ordinal));

        var error = Assert.Single(errors);
        Assert.Equal("/profiles/test-strap.json", error.File);
        Assert.Equal(jsonPath, error.JsonPath);
        Assert.Contains(expectation, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("/profiles/test-strap.json: " + jsonPath + ": expected", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileLoader_PmdStartDisagreesWithDecoder_ErrorPointsAtBoth()
    {
        var json = File.ReadAllText(Path.Combine(TestProfiles.Directory, "polar-h10.json"))
            .Replace("\"sampleRate\": 50", "\"sampleRate\": 100", StringComparison.Ordinal);

        var profile = FirmwareProfileLoader.TryParse(json, "polar-h10.json", out var errors);

        Assert.Null(profile);
        var error = Assert.Single(errors);
        Assert.Equal("$.start[1].pmd.settings.sampleRate", error.JsonPath);
        Assert.Equal("expected 50 to agree with $.characteristics[2].decoder.parameters.sampleRateHz, found 100", error.Message);
    }

    [Fact]
    public void ProfileLoader_DeclarativeWithoutScaleOrRange_ErrorSaysWhichOneIsNeeded()
    {
        var json = File.ReadAllText(Path.Combine(TestProfiles.Directory, "lab-imu-declarative.json"))
            .Replace("\"rangeG\": 8,", "", StringComparison.Ordinal);

        FirmwareProfileLoader.TryParse(json, "lab-imu-declarative.json", out var errors);

        var error = Assert.Single(errors);
        Assert.Equal("$.characteristics[1].decoder.parameters", error.JsonPath);
        Assert.Contains("exactly one of scaleMilliG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileLoader_InvalidJson_ErrorNamesFileAndPosition()
    {
        var errors = Errors("{ \"id\": ");

        Assert.Contains("expected valid JSON", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileLoader_SchemaFile_ListsTheSameDecoderKindsAsTheLoader()
    {
        using var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestProfiles.Directory, FirmwareProfileLoader.SchemaFileName)));
        var kinds = schema.RootElement.GetProperty("$defs").GetProperty("decoder").GetProperty("properties").GetProperty("kind").GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()!).ToList();

        Assert.Equal(DecoderSpec.Kinds, kinds);
    }
}
