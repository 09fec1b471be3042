"""The invoices' task: e-mail an issued document to the account's current address.

The PDF is attached (rendered from the stored document, so it is the same file the owner
downloads). The address is read when the job runs, so a resend goes to the address the owner has
now; the job's transaction makes it one e-mail per run.
"""

from __future__ import annotations

from linkplus.invoices import pdf, repository
from linkplus.invoices.schemas import DocumentOut, SendDocumentJob
from linkplus.invoices.sending import download_url, message
from linkplus.jobs import JobContext, task
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.notifications.mail import Attachment


@task()
async def send_document(ctx: JobContext, job: SendDocumentJob) -> None:
    """Queue the e-mail for one document; the job's transaction makes it one e-mail per run."""
    document = await repository.get_document(ctx.session, job.document_id)
    if document is None:
        return
    contact = await repository.account_contact(ctx.session, document.account_id)
    if contact is None:
        return  # the account was closed; the document stays on record, nobody to mail
    subject, text = message(document, download_url(ctx.runtime.settings.public_url, document.id))
    lines = await repository.lines_of(ctx.session, document.id)
    corrects = (
        await repository.number_of(ctx.session, document.corrects_id)
        if document.corrects_id
        else None
    )
    printed = DocumentOut.of(document, lines, corrects_number=corrects)
    attachment = Attachment(pdf.file_name(printed), "application/pdf", pdf.render_pdf(printed))
    await notifications.queue_email(
        ctx.session,
        now=ctx.now,
        to=contact[0],
        subject=subject,
        text=text,
        account_id=document.account_id,
        category=Category.billing,
        attachments=[attachment],
    )


TASKS = [send_document]
