using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StaticHostApp.Tests.Infrastructure;

namespace StaticHostApp.Tests.Browser;

/// <summary>
/// A self-signed ECDSA certificate for one host name, written as PEM files into a sandbox for Kestrel's
/// <c>Certificate:Path</c>/<c>KeyPath</c>, with the public key's SHA-256 for Chromium's SPKI allow-list.
/// </summary>
public sealed class ServerCertificate
{
    /// <summary>Creates the certificate and writes <c>tls/cert.pem</c> and <c>tls/key.pem</c>.</summary>
    public ServerCertificate(SiteSandbox sandbox, string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePath = sandbox.WriteFile("tls/cert.pem", certificate.ExportCertificatePem());
        KeyPath = sandbox.WriteFile("tls/key.pem", key.ExportPkcs8PrivateKeyPem());
        SpkiSha256 = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The certificate's PEM file.</summary>
    public string CertificatePath { get; }

    /// <summary>The private key's PEM file.</summary>
    public string KeyPath { get; }

    /// <summary>Base64 of the SHA-256 of the DER SubjectPublicKeyInfo (Chromium's <c>--ignore-certificate-errors-spki-list</c>).</summary>
    public string SpkiSha256 { get; }
}
