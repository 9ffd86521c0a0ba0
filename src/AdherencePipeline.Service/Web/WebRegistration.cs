using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using AdherencePipeline.Adherence;
using AdherencePipeline.Service.Commands;
using AdherencePipeline.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdherencePipeline.Service.Web;

/// <summary>Registers the web API and pages, so that <c>adherence serve</c> and <c>adherence run</c> host the same thing.</summary>
public static partial class WebRegistration
{
    /// <summary>Authorization policy: a researcher (API token or signed-in page).</summary>
    public const string ResearcherPolicy = "researcher";

    /// <summary>Authorization policy: a signed-in participant.</summary>
    public const string ParticipantPolicy = "participant";

    /// <summary>Authorization policy: a researcher or a participant; handlers then limit participants to their own data.</summary>
    public const string AnyonePolicy = "signed-in";

    /// <summary>Rate-limiter policy on every check of an access code or token typed in.</summary>
    public const string SignInLimit = "sign-in";

    internal const string ResearcherRole = "researcher", ParticipantRole = "participant";
    internal const string TokenScheme = "ResearcherToken", SelectorScheme = "Adherence";

    /// <summary>
    /// Adds the API's services: the <c>Web</c> options (validated at start), the participant registry
    /// (<c>Participants:Registry</c>), the outcome instruments (<c>Outcomes:InstrumentsDirectory</c>, checked at
    /// start against the registry's schedules), the drop-out threshold (<c>Analysis:DropoutDays</c>), the
    /// InfluxDB connection (<c>Influx</c>), authentication, rate limiting, problem details and the OpenAPI document.
    /// </summary>
    public static IServiceCollection AddAdherenceWeb(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WebOptions>().Bind(configuration.GetSection(WebOptions.Section)).ValidateDataAnnotations()
            .Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ =>
        {
            var configured = configuration[ParticipantRegistryFile.RegistryKey];
            return ParticipantRegistryLoader.Load(Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? ParticipantRegistryLoader.DefaultFileName : configured));
        });
        services.TryAddSingleton(_ =>
        {
            var connection = InfluxCommand.BindConnection(configuration);
            connection.Validate();
            return connection;
        });
        services.AddHttpClient<AdherenceReader>()
            .ConfigurePrimaryHttpMessageHandler(sp => InfluxHttpClient.CreateHandler(sp.GetRequiredService<InfluxConnectionOptions>()));
        services.AddOptions<AnalysisOptions>().Bind(configuration.GetSection(AnalysisOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        // A bad instrument file, or a schedule naming a missing instrument, stops the start rather than the first questionnaire.
        services.AddOptions<OutcomesOptions>().Bind(configuration.GetSection(OutcomesOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutcomesOptions>, InstrumentCatalog.Validator>();
        services.TryAddSingleton(sp => InstrumentCatalog.Load(sp.GetRequiredService<IOptions<OutcomesOptions>>().Value, sp.GetRequiredService<ParticipantRegistry>()));

        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddAntiforgery(o => o.Cookie.SameSite = SameSiteMode.Strict);
        services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "Token or cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? TokenScheme : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ResearcherTokenHandler>(TokenScheme, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.Cookie.Name = "adherence.sign-in";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.LoginPath = "/sign-in";
                o.Events.OnRedirectToLogin = context => Refuse(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = context => Refuse(context, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = SignIn.ValidateAsync;
                // A sign-in lasts Web:SignInLifetime from the moment it was made; use does not extend it.
                o.SlidingExpiration = false;
            });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme).Configure<IOptions<WebOptions>>((cookie, web) =>
        {
            cookie.ExpireTimeSpan = web.Value.SignInLifetime;
            cookie.Cookie.SecurePolicy = web.Value.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
        // An endpoint without its own policy is closed, so none is open by accident.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(ResearcherPolicy, p => p.RequireRole(ResearcherRole))
            .AddPolicy(ParticipantPolicy, p => p.RequireRole(ParticipantRole).RequireClaim(ClaimTypes.NameIdentifier))
            .AddPolicy(AnyonePolicy, p => p.RequireRole(ResearcherRole, ParticipantRole));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInLimit, context =>
            {
                var limit = context.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value.SignInAttemptsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many sign-in attempts", Detail = "Wait a minute before trying again." },
                });
            };
        });
        return services;
    }

    /// <summary>Adds the middleware and maps the API (<c>/api/…</c>), the OpenAPI document (<c>/openapi/v1.json</c>) and the pages.</summary>
    public static WebApplication MapAdherenceWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.MapOpenApi().AllowAnonymous();
        AdherenceApi.Map(app);
        AdherencePages.Map(app);
        return app;
    }

    internal static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api", StringComparison.Ordinal);

    // The API answers 401/403 with problem details; pages send a person to the sign-in form or say no in words.
    private static Task Refuse(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (!IsApi(context.Request) && status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        return IsApi(context.Request) ? Task.CompletedTask : AdherencePages.WriteForbiddenAsync(context.HttpContext);
    }

    /// <summary>Reads <c>Authorization: Bearer TOKEN</c> and admits the holder as a researcher when the token's hash is configured.</summary>
    private sealed partial class ResearcherTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOptions<WebOptions> web)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var header = Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Task.FromResult(AuthenticateResult.Fail("Authorization: expected 'Bearer TOKEN'."));
            }

            if (!WebSecrets.TokenMatches(header["Bearer ".Length..].Trim(), web.Value.ResearcherTokens))
            {
                LogTokenRefused(Logger, Context.Connection.RemoteIpAddress?.ToString());
                return Task.FromResult(AuthenticateResult.Fail("The token is not valid."));
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, ResearcherRole)], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
            return base.HandleChallengeAsync(properties);
        }

        [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "A researcher token was refused (client {Client})")]
        private static partial void LogTokenRefused(ILogger logger, string? client);
    }
}
